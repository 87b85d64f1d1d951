"""What idle sockets cost: the cores a bridge and the database use while N citizens are connected and silent.

No message flows: what is measured is engine.io's pings and its ping-timeout watch, the bridges' timers and
the database's pollers. The clients run in their own processes (`bench/sio_lite.py`); CPU-seconds are read
from /proc, so the figures do not depend on the machine's other work.

    flock /tmp/bangban-bench.lock .venv/bin/python -m bench.idle_sockets --users 5000 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import time
from typing import Any

from bench import sio_lite
from bench.common import start_system
from bench.load import _cpu, join_or_kill, user_token


def _clients(url: str, tokens: list[str], ctl: Any, out: Any) -> None:
    async def main() -> None:
        sem = asyncio.Semaphore(40)

        async def one(token: str) -> Any:
            async with sem:
                return await sio_lite.connect(url, "/user", {"token": token}, {})

        got = await asyncio.gather(*(one(t) for t in tokens), return_exceptions=True)
        out.put(sum(1 for g in got if not isinstance(g, BaseException)))
        await asyncio.get_running_loop().run_in_executor(None, ctl.wait)
        await asyncio.gather(*(c.disconnect() for c in got if not isinstance(c, BaseException)),
                             return_exceptions=True)
        await sio_lite.close_sessions()
    asyncio.run(main())


def run(users: int, seconds: float, workers: int, bridges: int) -> dict[str, Any]:
    """Connect `users` sockets spread over the bridges, wait for the connections to settle, then measure."""
    system = start_system(bridges=bridges, with_rasa=False)
    ctx = mp.get_context("spawn")
    procs = []
    try:
        urls = [f"http://127.0.0.1:{p}" for p in system.cfg.bridge_ports]
        pids = [system.procs[f"bridge-{i}"].popen.pid for i in range(bridges)] + [
            system.procs["database"].popen.pid]
        secret = (system.cfg.var_dir / "token_secret").read_text().strip()
        done, out = ctx.Event(), ctx.Queue()
        for w in range(workers):
            toks = [user_token(secret, f"idle-{w}-{i}") for i in range(users // workers)]
            procs.append(ctx.Process(target=_clients, args=(urls[w % bridges], toks, done, out)))
            procs[-1].start()
        held = sum(out.get(timeout=600) for _ in procs)
        time.sleep(10)  # the connections' own work (rows, announcements) is over
        print(f"  [bench] measuring; pids {pids}", flush=True)
        cpu0, t0 = [_cpu(p) for p in pids], time.perf_counter()
        time.sleep(seconds)
        wall = time.perf_counter() - t0
        cores = [round((_cpu(p) - c) / wall, 3) for p, c in zip(pids, cpu0, strict=True)]
        done.set()
        return {"bridges": bridges, "sockets_held": held, "seconds": round(wall, 1),
                "bridge_cores": cores[:-1], "database_cores": cores[-1],
                "bridge_cpu_ms_per_socket_per_minute": round(sum(cores[:-1]) * 60_000 / max(1, held), 3)}
    finally:
        join_or_kill(procs)
        system.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--bridges", type=int, default=1)
    a = p.parse_args()
    print(json.dumps(run(a.users, a.seconds, a.workers, a.bridges), indent=1))


if __name__ == "__main__":
    main()

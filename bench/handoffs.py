"""Handoff benchmark: a burst of new conversations handed to agents, and what each costs the database.

Every conversation is a new citizen's first message (answered by a Rasa stand-in that replies at
once) followed by `handoff`; agents are online with room for all of them. Reports handoffs per
second, database commands per handoff by `command:collection` (the bridge's counter) and the
database process's CPU seconds per handoff, and the documents and index entries written per handoff by
`op:collection` (from the database's oplog, `bench/oplog.py`) — all but the rate do not depend on how
busy the machine is.

    .venv/bin/python -m bench.handoffs [--conversations 400] [--concurrency 40] [--agents 80] [--pause 0]

`--pause S` waits S seconds after printing the database's pid before the burst (time to attach
`py-spy record -p PID`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import time
import uuid

from bench import oplog, proc_cpu
from bench.common import cpu_probe_s, make_staff, staff_token, start_system, store_of
from bench.load import DEP, MATTER, _connect, _cpu, rasa_stub, user_token

COUNTER = "bangban_db_commands_total"


def db_commands(url: str) -> dict[str, float]:
    """The bridge's database command counter, by label."""
    import urllib.request
    out: dict[str, float] = {}
    for line in urllib.request.urlopen(url + "/metrics", timeout=10).read().decode().splitlines():
        if line.startswith(COUNTER + "{"):
            label = line.split('command="', 1)[1].split('"', 1)[0]
            out[label] = float(line.rsplit(" ", 1)[1])
    return out


async def citizens(url: str, secret: str, n: int) -> list:
    """`n` new citizens connected to /user."""
    sem = asyncio.Semaphore(40)

    async def connect():
        async with sem:
            return await _connect(url, "/user", user_token(secret, f"h-{uuid.uuid4().hex[:12]}"), {})

    return await asyncio.gather(*(connect() for _ in range(n)))


async def burst(clients: list, concurrency: int) -> tuple[float, int]:
    """Every client opens a conversation (first message + handoff), `concurrency` at a time: (seconds, assigned)."""
    opening = asyncio.Semaphore(concurrency)

    async def open_one(sio) -> bool:
        async with opening:
            ack = await sio.call("message", {"client_msg_id": uuid.uuid4().hex, "text": "公积金提取",
                                             "matter": MATTER}, namespace="/user", timeout=60)
            res = await sio.call("handoff", {"conversation_id": ack["conversation_id"]}, namespace="/user",
                                 timeout=60)
            return res.get("state") == "with_agent"

    t0 = time.perf_counter()
    results = await asyncio.gather(*(open_one(s) for s in clients), return_exceptions=True)
    return time.perf_counter() - t0, sum(1 for r in results if r is True)


def run(conversations: int, concurrency: int, agents: int, pause: float) -> dict:
    system = start_system(bridges=1, with_rasa=False, FIRST_RESPONSE_ALERT_S="3600", AGENT_CAPACITY="5")
    stub = mp.get_context("spawn").Process(target=rasa_stub, args=(system.cfg.rasa_port,), daemon=True)
    stub.start()
    try:
        url = system.base_url
        secret = (system.cfg.var_dir / "token_secret").read_text().strip()
        store = store_of(system)
        loop = asyncio.new_event_loop()
        capacity = -(-conversations // agents)
        names = [loop.run_until_complete(make_staff(store, [DEP], capacity=capacity)) for _ in range(agents)]
        staff = [loop.run_until_complete(staff_token(url, name)) for name in names]

        async def online() -> list:
            socks = [await _connect(url, "/agent", t, {}) for t in staff]
            for sio in socks:
                await sio.call("presence", {"status": "online"}, namespace="/agent")
            return socks

        agent_socks = loop.run_until_complete(online())
        db_pid = system.procs["database"].popen.pid
        bridge_pid = system.procs["bridge-0"].popen.pid
        print(f"  [bench] database pid {db_pid}, bridge pid {bridge_pid}", file=sys.stderr, flush=True)
        clients = loop.run_until_complete(citizens(url, secret, conversations))
        time.sleep(max(0.0, pause))
        idle0, t_idle = _cpu(db_pid), time.perf_counter()
        time.sleep(5)  # what the database uses with nothing to do (beats, sweepers, timers): not the handoffs'
        idle_cpu = (_cpu(db_pid) - idle0) / (time.perf_counter() - t_idle)
        since = loop.run_until_complete(oplog.last(store.client))
        before, db0, br0 = db_commands(url), _cpu(db_pid), _cpu(bridge_pid)
        groups, stub0 = proc_cpu.system_groups(system), _cpu(stub.pid)
        cpu0 = proc_cpu.snapshot(groups)
        t_burst = time.perf_counter()
        load0 = os.getloadavg()[0]
        print("  [bench] burst starts", file=sys.stderr, flush=True)  # a profiler may start here
        seconds, opened = loop.run_until_complete(burst(clients, concurrency))
        after, db1, br1 = db_commands(url), _cpu(db_pid), _cpu(bridge_pid)
        cpu1 = {**proc_cpu.snapshot(groups), "rasa stand-in": _cpu(stub.pid)}
        cpu_all = proc_cpu.per_unit({**cpu0, "rasa stand-in": stub0}, cpu1, opened)
        print(f"  [bench] burst ends ({seconds:.1f} s)", file=sys.stderr, flush=True)
        idle_share = idle_cpu * (time.perf_counter() - t_burst)
        per = {k: round((after[k] - before.get(k, 0)) / max(1, opened), 2) for k in after
               if after[k] - before.get(k, 0) >= opened / 10}
        written = loop.run_until_complete(oplog.report(store.client, loop.run_until_complete(
            oplog.written(store.client, since)), opened, store.db.name))
        for sio in [*clients, *agent_socks]:
            loop.run_until_complete(sio.disconnect())
        loop.run_until_complete(store.close())
        return {"conversations": conversations, "handed_to_agent": opened, "concurrency": concurrency,
                "handoffs_per_s": round(opened / seconds, 1),
                "db_commands_per_handoff": per.pop("all", None),
                "by_command": dict(sorted(per.items(), key=lambda kv: -kv[1])),
                "documents_written_per_handoff": written.pop("documents"),
                "index_entries_per_handoff": written.pop("index_entries"), **written,
                "database_cpu_ms_per_handoff": round((db1 - db0) * 1000 / max(1, opened), 2),
                "database_idle_cpu": round(idle_cpu, 3),
                "database_cpu_ms_per_handoff_above_idle": round((db1 - db0 - idle_share) * 1000 / max(1, opened), 2),
                "bridge_cpu_ms_per_handoff": round((br1 - br0) * 1000 / max(1, opened), 2),
                "cpu_ms_per_handoff_by_process": cpu_all,  # every process, the clients (bench) too
                "machine_load_before": round(load0, 1), "cpu_probe_s": cpu_probe_s()}
    finally:
        stub.kill()
        system.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--conversations", type=int, default=400)
    p.add_argument("--concurrency", type=int, default=40)
    p.add_argument("--agents", type=int, default=80)
    p.add_argument("--pause", type=float, default=0.0, help="seconds to wait before the burst (attach py-spy)")
    a = p.parse_args()
    print(json.dumps(run(a.conversations, a.concurrency, a.agents, a.pause), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

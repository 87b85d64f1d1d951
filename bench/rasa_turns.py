"""Benchmark: first turns of new conversations straight to Rasa's REST webhook, CPU per turn of the bot tier.

The Rasa half of `bench.new_conversations` without the bridge: `--turns` new conversations (one message
each, the same questions and matter) posted `--concurrency` at a time to one Rasa server; prints the
seconds and the CPU milliseconds per turn of Rasa, the action server and the database (`bench/proc_cpu.py`),
and their idle CPU per second, measured after the burst, to subtract for a longer run.

    flock /tmp/bangban-bench.lock .venv/bin/python -m bench.rasa_turns [--turns 400] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid

import aiohttp

from bench import proc_cpu
from bench.common import start_system
from bench.new_conversations import MATTER, QUESTIONS


async def turns(url: str, n: int, concurrency: int) -> None:
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as http:
        async def one(i: int) -> None:
            async with sem:
                body = {"sender": uuid.uuid4().hex, "message": QUESTIONS[i % len(QUESTIONS)],
                        "metadata": {"matter": MATTER}}
                async with http.post(f"{url}/webhooks/rest/webhook", json=body) as r:
                    assert r.status == 200 and await r.json(), r.status

        await asyncio.gather(*(one(i) for i in range(n)))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--turns", type=int, default=400)
    p.add_argument("--concurrency", type=int, default=32)
    a = p.parse_args()
    system = start_system(with_rasa=True)
    try:
        groups = {k: v for k, v in proc_cpu.system_groups(system).items() if k in ("rasa", "actions", "database")}
        asyncio.run(turns(system.rasa_url, 20, 4))  # past every lazy first use
        load, cpu0, t0 = os.getloadavg()[0], proc_cpu.snapshot(groups), time.perf_counter()
        asyncio.run(turns(system.rasa_url, a.turns, a.concurrency))
        wall, cpu1 = time.perf_counter() - t0, proc_cpu.snapshot(groups)
        time.sleep(5)
        idle = proc_cpu.snapshot(groups)
        print(json.dumps({"turns": a.turns, "seconds": round(wall, 1), "turns_per_second": round(a.turns / wall, 1),
                          "load_before": round(load, 1), "cpu_ms_per_turn": proc_cpu.per_unit(cpu0, cpu1, a.turns),
                          "idle_cpu_ms_per_second": proc_cpu.per_unit(cpu1, idle, 5)}, indent=1))
    finally:
        system.stop()


if __name__ == "__main__":
    main()

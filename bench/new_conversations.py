"""Benchmark: a burst of new conversations with the real Rasa — first answer, handoff, assignment.

Each conversation is a new citizen (own token and socket): the first message is answered by the bot
(first-answer time), then the citizen asks for a person and one of the agents gets it (time to the
"joined" notice). Conversations are opened `--concurrency` at a time; the run is repeated for each
number of Rasa servers in `--rasa` (a fresh system each), so the figures of 1 and 2 servers come from
the same invocation.

    .venv/bin/python -m bench.new_conversations [--conversations 500] [--concurrency 32] [--rasa 1,2]
        [--profile DIR]

Besides wall-clock figures it prints the CPU milliseconds per conversation of every process (from
/proc, `bench/proc_cpu.py`), the bridges' database commands per conversation by `command:collection`
(their counter) and the documents and index entries written per conversation by `op:collection`
(Rasa's tracker collection included; `bench/oplog.py`), which do not depend on the machine's load;
`--profile DIR` also records Rasa, the action servers, the database and the bridge with py-spy during
the burst. The clients are `bench/sio_lite.py`'s (the same protocol as python-socketio's, a
fraction of its CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from pathlib import Path

from bench import oplog, proc_cpu, sio_lite
from bench.common import cpu_probe_s, make_staff, pct, staff_token, start_system, store_of, user_token
from bench.handoffs import db_commands

MATTER, DEPARTMENT = "housing-fund-withdrawal", "housing-fund"
QUESTIONS = ["公积金提取需要什么材料", "提取公积金要多久到账", "退休了怎么取公积金", "租房能提取公积金吗"]


async def connect(base: str, ns: str, token: str, handlers: dict | None = None) -> sio_lite.LiteClient:
    return await sio_lite.connect(base, ns, {"token": token}, handlers or {})


async def agents_online(base: str, store, n: int, capacity: int) -> list[sio_lite.LiteClient]:
    clients = []
    for _ in range(n):
        username = await make_staff(store, [DEPARTMENT], capacity=capacity)
        sio = await connect(base, "/agent", await staff_token(base, username))
        assert (await sio.call("presence", {"status": "online"}, namespace="/agent"))["ok"]
        clients.append(sio)
    return clients


async def one(base: str, token: str, question: str) -> tuple[float, float]:
    """(first answer ms, handoff to joined ms) of one new conversation."""
    loop = asyncio.get_running_loop()
    bot, joined = loop.create_future(), loop.create_future()

    def on_message(m: dict) -> None:
        if m["sender"]["role"] == "bot" and not bot.done():
            bot.set_result(time.perf_counter())
        if (m.get("meta") or {}).get("event") == "agent_joined" and not joined.done():
            joined.set_result(time.perf_counter())

    sio = await connect(base, "/user", token, {"message": on_message})
    try:
        t0 = time.perf_counter()
        ack = await sio.call("message", {"client_msg_id": uuid.uuid4().hex, "type": "text", "text": question,
                                         "matter": MATTER}, namespace="/user", timeout=60)
        assert ack["ok"], ack
        first = await asyncio.wait_for(bot, 60) - t0
        t1 = time.perf_counter()
        await sio.call("handoff", {"conversation_id": ack["conversation_id"]}, namespace="/user", timeout=60)
        handed = await asyncio.wait_for(joined, 60) - t1
        return first * 1000, handed * 1000
    finally:
        await sio.disconnect()


async def burst(system, store, conversations: int, concurrency: int, agents: int, profile: Path | None) -> dict:
    base = system.base_url
    staff = await agents_online(base, store, agents, capacity=-(-conversations // agents))
    tokens = [await user_token(base, f"nc-{uuid.uuid4().hex[:10]}") for _ in range(conversations)]
    sem = asyncio.Semaphore(concurrency)
    groups = proc_cpu.system_groups(system)
    bot_procs = [n for n in groups if n.startswith(("rasa", "actions", "database", "bridge"))]
    spies = [] if profile is None else proc_cpu.start_profiles(
        system, bot_procs, 20, profile / f"rasa{len(system.cfg.rasa_ports)}")

    async def limited(i: int) -> tuple[float, float]:
        async with sem:
            return await one(base, tokens[i], QUESTIONS[i % len(QUESTIONS)])

    since = await oplog.last(store.client)
    urls = [f"http://127.0.0.1:{port}" for port in system.cfg.bridge_ports]
    commands0 = [db_commands(url) for url in urls]
    cpu0, t0 = proc_cpu.snapshot(groups), time.perf_counter()
    results = await asyncio.gather(*(limited(i) for i in range(conversations)), return_exceptions=True)
    wall, cpu1 = time.perf_counter() - t0, proc_cpu.snapshot(groups)
    threads = proc_cpu.threads(groups)
    commands = _commands_per(commands0, [db_commands(url) for url in urls], conversations)
    done = [r for r in results if not isinstance(r, BaseException)]
    written = await oplog.report(store.client, await oplog.written(store.client, since), len(done),
                                 store.db.name)
    for sio in staff:
        await sio.disconnect()
    await sio_lite.close_sessions()
    for spy in spies:
        spy.wait()
    first, handed = [r[0] for r in done], [r[1] for r in done]
    return {"conversations": conversations, "completed": len(done), "seconds": round(wall, 1),
            "per_second": round(len(done) / wall, 1), "load_after": round(os.getloadavg()[0], 1),
            "cpu_ms_per_conversation": proc_cpu.per_unit(cpu0, cpu1, len(done)), "threads": threads,
            "first_answer_ms": {p: round(pct(first, p)) for p in (50, 95, 99)},
            "handoff_to_joined_ms": {p: round(pct(handed, p)) for p in (50, 95, 99)},
            "bridge_db_commands_per_conversation": commands.pop("all", None), "bridge_db_commands": commands,
            "documents_per_conversation": written.pop("documents"),
            "index_entries_per_conversation": written.pop("index_entries"), **written,
            "errors": sorted({type(r).__name__ for r in results if isinstance(r, BaseException)})}


def _commands_per(before: list[dict[str, float]], after: list[dict[str, float]], units: int) -> dict[str, float]:
    """The bridges' database commands per unit by `command:collection` (those of at least 0.1 per unit)."""
    total: dict[str, float] = {}
    for b, a in zip(before, after, strict=True):
        for k, v in a.items():
            total[k] = total.get(k, 0.0) + v - b.get(k, 0.0)
    return dict(sorted(((k, round(v / units, 2)) for k, v in total.items() if v >= units / 10), key=lambda kv: -kv[1]))


def run(rasa: int, conversations: int, concurrency: int, agents: int, profile: Path | None) -> dict:
    system = start_system(rasa=rasa, actions=rasa)
    store = store_of(system)
    try:
        load0 = os.getloadavg()[0]
        result = asyncio.run(burst(system, store, conversations, concurrency, agents, profile))
        return {"rasa_servers": rasa, "machine_load_before": round(load0, 1), "cpu_probe_s": cpu_probe_s(), **result}
    finally:
        system.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--conversations", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--agents", type=int, default=50)
    p.add_argument("--rasa", default="1,2", help="numbers of Rasa servers to measure, comma separated")
    p.add_argument("--profile", type=Path, help="py-spy profiles of Rasa, actions, database, bridge here")
    a = p.parse_args()
    results = [run(int(n), a.conversations, a.concurrency, a.agents, a.profile) for n in a.rasa.split(",")]
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

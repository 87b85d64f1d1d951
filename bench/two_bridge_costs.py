"""What a message costs with two bridges: database commands and CPU per message, round by round.

Citizens on bridge 0, agents on bridge 1 (every message crosses processes). Each citizen opens a
conversation with the instant Rasa stand-in and hands off; then, round after round, every citizen
sends one message at once and its agent answers it. Round 1 is the first exchange after the handoffs
(cold caches on the agent's bridge, the first responses), the later rounds the steady state. The
figures do not depend on the machine's other work: commands from the bridges' /metrics, CPU-seconds
from /proc. Background work (timers, heartbeats) shows as a floor of about 0.1–0.2 commands per message.

    flock /tmp/bangban-bench.lock .venv/bin/python -m bench.two_bridge_costs --conversations 60 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import uuid
from typing import Any

from bench import sio_lite
from bench.common import make_staff, staff_token, start_system, store_of
from bench.load import DEP, MATTER, _cpu, bridge_counters, db_command_counts, rasa_stub, user_token
from ops.system import System


async def _agents(urls: list[str], store: Any, n: int) -> list[Any]:
    """`n` agents online on bridge 1, each answering every citizen's question at once."""
    agents = []
    for _ in range(n):
        name = await make_staff(store, [DEP], capacity=5)
        ref: list[Any] = []

        async def on_message(d: dict, ref: list[Any] = ref) -> None:
            if d["sender"]["role"] == "user" and d["text"].startswith("Q"):
                asyncio.create_task(ref[0].call("message", {"conversation_id": d["conversation_id"],
                                                            "client_msg_id": uuid.uuid4().hex, "text": "A"},
                                                namespace="/agent"))
        agent = await sio_lite.connect(urls[1], "/agent", {"token": await staff_token(urls[0], name)},
                                       {"message": on_message})
        ref.append(agent)
        await agent.call("presence", {"status": "online"}, namespace="/agent")
        agents.append(agent)
    return agents


async def _round(convs: list[tuple[Any, str]], answered: dict[str, asyncio.Future], rnd: int) -> None:
    futs = []
    for _, cid in convs:
        answered[cid] = asyncio.get_running_loop().create_future()
        futs.append(answered[cid])
    await asyncio.gather(*(u.call("message", {"conversation_id": cid, "client_msg_id": uuid.uuid4().hex,
                                              "text": f"Q{rnd}"}, namespace="/user") for u, cid in convs))
    await asyncio.wait_for(asyncio.gather(*futs), 60)
    await asyncio.sleep(0.5)  # the last replies' follow-ups


async def measure(system: System, conversations: int, rounds: int) -> dict[str, Any]:
    urls = [f"http://127.0.0.1:{p}" for p in system.cfg.bridge_ports]
    secret = (system.cfg.var_dir / "token_secret").read_text().strip()
    store = store_of(system)
    answered: dict[str, asyncio.Future] = {}

    def on_user(d: dict) -> None:
        fut = answered.pop(d["conversation_id"], None) if d["sender"]["role"] == "agent" else None
        if fut is not None and not fut.done():
            fut.set_result(None)
    agents = await _agents(urls, store, max(1, conversations // 5))
    users = [await sio_lite.connect(urls[0], "/user", {"token": user_token(secret, f"tb-{uuid.uuid4().hex[:8]}")},
                                    {"message": on_user}) for _ in range(conversations)]
    convs = []
    for u in users:
        ack = await u.call("message", {"client_msg_id": uuid.uuid4().hex, "text": "公积金提取", "matter": MATTER},
                           namespace="/user")
        await u.call("handoff", {"conversation_id": ack["conversation_id"]}, namespace="/user")
        convs.append((u, ack["conversation_id"]))
    await asyncio.sleep(3)
    pids = [system.procs[name].popen.pid for name in ("bridge-0", "bridge-1", "database", "redis")]
    out: dict[str, Any] = {}
    for rnd in range(rounds):
        c0, cpu0, k0 = db_command_counts(urls), [_cpu(p) for p in pids], bridge_counters(urls)
        await _round(convs, answered, rnd)
        c1, cpu1, k1 = db_command_counts(urls), [_cpu(p) for p in pids], bridge_counters(urls)
        n = 2 * len(convs)
        per = {k: round((v - c0.get(k, 0)) / n, 3) for k, v in c1.items() if (v - c0.get(k, 0)) / n >= 0.01}
        out[f"round {rnd + 1}"] = {
            "db_commands_per_message": dict(sorted(per.items(), key=lambda kv: -kv[1])),
            "bridge_cpu_ms_per_message": round((cpu1[0] - cpu0[0] + cpu1[1] - cpu0[1]) * 1000 / n, 2),
            "database_cpu_ms_per_message": round((cpu1[2] - cpu0[2]) * 1000 / n, 2),
            "redis_cpu_ms_per_message": round((cpu1[3] - cpu0[3]) * 1000 / n, 3),
            "seq_retries": int(k1["seq_retries"] - k0["seq_retries"])}
    for c in users + agents:
        await c.disconnect()
    await sio_lite.close_sessions()
    await store.close()
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--conversations", type=int, default=60)
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    system = start_system(bridges=2, with_rasa=False, FIRST_RESPONSE_ALERT_S="3600", AGENT_CAPACITY="5")
    stub = mp.get_context("spawn").Process(target=rasa_stub, args=(system.cfg.rasa_port,), daemon=True)
    stub.start()
    try:
        print(json.dumps(asyncio.run(measure(system, a.conversations, a.rounds)), ensure_ascii=False, indent=1))
    finally:
        stub.kill()
        system.stop()


if __name__ == "__main__":
    main()

"""Benchmark: 500 concurrent conversations with agents replying, over real Socket.IO.

Prints user→agent and agent→user delivery time p50/p95/p99 and messages per second, next
to the embedded database's own insert_one rate measured in the same run.

    .venv/bin/python -m bench.bridge_delivery [--conversations 500] [--rate 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid

import socketio

from bench.common import db_insert_rate, make_staff, staff_token, start_system, store_of, summary, user_token

DEP, MATTER = "housing-fund", "housing-fund-withdrawal"


async def run(n_conv: int, rate: float, seconds: float) -> None:
    system = start_system(with_rasa=False)
    store = store_of(system)
    base = system.base_url
    try:
        print(f"embedded database insert_one: {await db_insert_rate(store):.0f}/s (1 KB docs, sequential)")
        n_agents = (n_conv + 4) // 5
        agents = []
        sent_at: dict[str, float] = {}
        u2a: list[float] = []
        a2u: list[float] = []
        for _ in range(n_agents):
            username = await make_staff(store, [DEP], capacity=5)
            sio = socketio.AsyncClient(reconnection=False)
            agents.append(sio)

            def on_message(data, sio=sio):
                if data["sender"]["role"] != "user":
                    return
                tag = data["text"].split("#", 1)[-1]
                if tag in sent_at:
                    u2a.append((time.perf_counter() - sent_at.pop(tag)) * 1000)
                    reply = uuid.uuid4().hex
                    sent_at[reply] = time.perf_counter()
                    asyncio.ensure_future(sio.call("message", {
                        "conversation_id": data["conversation_id"], "client_msg_id": reply, "type": "text",
                        "text": f"您好，已收到#{reply}"}, namespace="/agent"))

            sio.on("message", on_message, namespace="/agent")
            await sio.connect(base, namespaces=["/agent"], auth={"token": await staff_token(base, username)},
                              transports=["websocket"])
            await sio.call("presence", {"status": "online"}, namespace="/agent")
        print(f"{n_agents} agents online (capacity 5 each)")
        users = []
        for i in range(n_conv):
            sio = socketio.AsyncClient(reconnection=False)

            def on_user_message(data):
                if data["sender"]["role"] == "agent":
                    tag = data["text"].split("#", 1)[-1]
                    if tag in sent_at:
                        a2u.append((time.perf_counter() - sent_at.pop(tag)) * 1000)

            sio.on("message", on_user_message, namespace="/user")
            await sio.connect(base, namespaces=["/user"], auth={"token": await user_token(base, f"bench-{i}")},
                              transports=["websocket"])
            ack = await sio.call("message", {"client_msg_id": uuid.uuid4().hex, "type": "text",
                                             "text": "公积金提取", "matter": MATTER}, namespace="/user")
            await sio.call("handoff", {"conversation_id": ack["conversation_id"]}, namespace="/user")
            users.append((sio, ack["conversation_id"]))
        await asyncio.sleep(3)
        active = await store.conversations.count_documents({"state": "with_agent"})
        print(f"{n_conv} users connected; {active} conversations with an agent")
        per_msg = 1.0 / (rate / 2)  # half the messages are agents' replies
        t_end = time.perf_counter() + seconds
        sent = 0
        t0 = time.perf_counter()
        while time.perf_counter() < t_end:
            sio, cid = random.choice(users)
            tag = uuid.uuid4().hex
            sent_at[tag] = time.perf_counter()
            asyncio.ensure_future(sio.call("message", {"conversation_id": cid, "client_msg_id": tag,
                                                       "type": "text", "text": f"请问进度#{tag}"}, namespace="/user"))
            sent += 1
            await asyncio.sleep(max(0.0, t0 + sent * per_msg - time.perf_counter()))
        await asyncio.sleep(3)
        elapsed = time.perf_counter() - t0
        print(f"sent {sent} user messages in {elapsed:.1f} s; delivered {len(u2a)} to agents, "
              f"{len(a2u)} replies to users")
        print(f"messages per second (both directions): {(len(u2a) + len(a2u)) / elapsed:.0f}")
        print(summary("user→agent", u2a))
        print(summary("agent→user", a2u))
        for sio, _ in users:
            await sio.disconnect()
        for sio in agents:
            await sio.disconnect()
    finally:
        await store.close()
        system.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--conversations", type=int, default=500)
    p.add_argument("--rate", type=float, default=200, help="messages per second, both directions together")
    p.add_argument("--seconds", type=float, default=20)
    a = p.parse_args()
    asyncio.run(run(a.conversations, a.rate, a.seconds))


if __name__ == "__main__":
    main()

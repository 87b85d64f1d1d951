"""Benchmark: bot turn time through the bridge next to Rasa's own REST webhook time.

A bot turn is "user message sent over Socket.IO → bot reply received over Socket.IO". Each turn
uses a new conversation so that Rasa's tracker stays short, as real conversations are.
Rasa's own time is measured in the same run by posting the same questions to the REST webhook.

    .venv/bin/python -m bench.bot_turns [--turns 200]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
import uuid

import aiohttp
import socketio

from bench.common import pct, start_system, summary, user_token

TURNS_PER_CONVERSATION = 4
QUESTIONS = ["公积金怎么提取", "护照过期了怎么换", "居住证要什么材料", "社保卡丢了怎么补", "个税汇算怎么操作",
             "开公司要办营业执照", "驾照到期换证去哪里", "异地就医怎么备案", "失业金怎么领", "验证码收不到"]


async def rasa_direct(rasa_url: str, n: int) -> list[float]:
    out = []
    async with aiohttp.ClientSession() as s:
        for i, q in zip(range(n), itertools.cycle(QUESTIONS), strict=False):
            t0 = time.perf_counter()
            async with s.post(f"{rasa_url}/webhooks/rest/webhook",
                              json={"sender": f"direct-{i}-{uuid.uuid4().hex[:6]}", "message": q}) as r:
                await r.json()
            out.append((time.perf_counter() - t0) * 1000)
    return out


async def through_bridge(base: str, n: int) -> tuple[list[float], list[float]]:
    sio = socketio.AsyncClient(reconnection=False)
    waiting: dict[str, asyncio.Future] = {}

    def on_message(data):
        fut = waiting.get(data["conversation_id"])
        if data["sender"]["role"] == "bot" and fut and not fut.done():
            fut.set_result(time.perf_counter())

    sio.on("message", on_message, namespace="/user")
    await sio.connect(base, namespaces=["/user"], auth={"token": await user_token(base, "bench-bot")},
                      transports=["websocket"])
    first, follow = [], []
    loop = asyncio.get_running_loop()
    cid = None
    for i, q in zip(range(n), itertools.cycle(QUESTIONS), strict=False):
        if i % TURNS_PER_CONVERSATION == 0:
            cid = None  # a new conversation every few turns keeps Rasa's trackers short, as in real use
        fut = loop.create_future()
        t0 = time.perf_counter()
        payload = {"client_msg_id": uuid.uuid4().hex, "type": "text", "text": q}
        if cid:
            payload["conversation_id"] = cid
            waiting[cid] = fut
        ack = await sio.call("message", payload, namespace="/user")
        if cid is None:
            cid = ack["conversation_id"]
            waiting[cid] = fut
        t1 = await asyncio.wait_for(fut, 30)
        (first if i % TURNS_PER_CONVERSATION == 0 else follow).append((t1 - t0) * 1000)
    await sio.disconnect()
    return first, follow


async def run(turns: int) -> None:
    # one simulated citizen opens a conversation every few turns: lift the per-citizen caps for it
    system = start_system(with_rasa=True, USER_MAX_OPEN_CONVERSATIONS="100000",
                          USER_NEW_CONVERSATIONS_PER_HOUR="100000")
    try:
        await rasa_direct(system.rasa_url, 10)  # warm-up
        first_ms, follow_ms, rasa_ms = [], [], []
        for _ in range(2):  # interleave so both see the same machine load
            rasa_ms += await rasa_direct(system.rasa_url, turns // 2)
            a, b = await through_bridge(system.base_url, turns // 2)
            first_ms += a
            follow_ms += b
        all_ms = first_ms + follow_ms
        print(summary("Rasa REST webhook (direct)", rasa_ms))
        print(summary("bot turn through the bridge, all", all_ms))
        print(summary("  first turn (creates the conversation)", first_ms))
        print(summary("  follow-up turns", follow_ms))
        for name, ms in (("all", all_ms), ("follow-up", follow_ms)):
            print(f"bridge overhead ({name}): p50 {pct(ms, 50) - pct(rasa_ms, 50):.1f} ms, "
                  f"p95 {pct(ms, 95) - pct(rasa_ms, 95):.1f} ms")
    finally:
        system.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--turns", type=int, default=200)
    asyncio.run(run(p.parse_args().turns))


if __name__ == "__main__":
    main()

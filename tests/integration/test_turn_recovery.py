"""Bot-turn recovery with three bridges and a citizen on two devices (one pending mark per message).

Device A is on bridge 1, device B on bridge 2; both send a message whose turn the Rasa stand-in holds,
so two turns of one conversation are in flight on two processes. Bridge 1 is killed: a surviving
sweeper re-runs A's turn; B's turn, owned by a live bridge, is left alone until B's bridge answers it.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from ops.system import System
from tests.integration.rasa_standin import RasaStandIn
from tests.integration.systems import MultiHarness, open_harness, own_system
from tests.support import cmid, start_conversation

HELD_A, HELD_B = "A设备：提取公积金要多久到账", "B设备：提取需要本人到场吗"


@pytest.fixture(scope="module")
def three() -> System:
    # turns held by the Rasa stand-in must outlive the kill, the dead-process threshold and the wait below
    yield from own_system("turns3", bridges=3, RASA_TIMEOUT_S="30")


@pytest.fixture
async def mh(three: System):
    async for h in open_harness(three):
        yield h


def text_msg(cid: str, text: str) -> dict:
    return {"conversation_id": cid, "client_msg_id": cmid(), "type": "text", "text": text}


def reply_to(text: str):
    return lambda d: d["sender"]["role"] == "bot" and d["text"] == f"小申答：{text}"


async def test_two_devices_three_bridges_kill_mid_turn_every_message_answered_once(mh: MultiHarness, three: System):
    rasa = await RasaStandIn(three.cfg.rasa_port, {HELD_A, HELD_B}).start()
    try:
        sub = "u-two-devices"
        device_a = await mh.user_on(1, sub)
        device_b = await mh.user_on(2, sub)
        cid = await start_conversation(device_a, "你好", matter="housing-fund-withdrawal")
        await device_b.wait_for("message", timeout=10, conversation_id=cid,
                                pred=lambda d: d["sender"]["role"] == "bot")
        ack_a = await device_a.call("message", text_msg(cid, HELD_A))
        ack_b = await device_b.call("message", text_msg(cid, HELD_B))
        assert ack_a["ok"] and ack_b["ok"], (ack_a, ack_b)
        await asyncio.wait_for(asyncio.gather(rasa.held_texts[HELD_A].wait(), rasa.held_texts[HELD_B].wait()), 10)
        marks = {d["text"]: d["bot_turn"]["process"] for d in await mh.store.messages.find(
            {"conversation_id": cid, "bot_turn": {"$exists": True}}).to_list(None)}
        assert set(marks) == {HELD_A, HELD_B} and marks[HELD_A] != marks[HELD_B], marks  # one mark per turn

        dead = marks[HELD_A]
        three.procs["bridge-1"].kill9()
        # a surviving sweeper claims A's turn (PROCESS_DEAD_S=4); B's mark stays with its live bridge
        for _ in range(150):
            owners = {d["text"]: d["bot_turn"]["process"] for d in await mh.store.messages.find(
                {"conversation_id": cid, "bot_turn": {"$exists": True}}).to_list(None)}
            if owners.get(HELD_A) != dead:  # claimed by a survivor, or already answered
                break
            await asyncio.sleep(0.1)
        assert owners.get(HELD_A) != dead and owners.get(HELD_B) == marks[HELD_B], owners
        await asyncio.sleep(6)  # long past the dead-process threshold: B's turn, owned by a live bridge, stays
        assert rasa.count(HELD_B) == 1, rasa.requests
        rasa.release_text(HELD_B)
        # both answered; A's re-run may wait for B's turn when B's bridge took it (one turn at a time per
        # conversation and process)
        await device_b.wait_for("message", timeout=30, conversation_id=cid, pred=reply_to(HELD_A))
        await device_b.wait_for("message", timeout=30, conversation_id=cid, pred=reply_to(HELD_B))
        await asyncio.sleep(2)  # every sweeper runs a few more rounds

        back = await mh.user_on(0, sub)  # device A comes back on another bridge
        synced = await back.call("sync", {"conversation_id": cid, "after_seq": 0})
        msgs = synced["messages"]
        assert [m["seq"] for m in msgs] == list(range(1, len(msgs) + 1))
        replies = Counter(m["text"] for m in msgs if m["sender"]["role"] == "bot")
        assert replies[f"小申答：{HELD_A}"] == 1 and replies[f"小申答：{HELD_B}"] == 1, replies
        stored = await mh.store.messages.find({"conversation_id": cid}).to_list(None)
        answered = Counter(d["reply_to"] for d in stored if d.get("reply_to"))
        users = [d["_id"] for d in stored if d["sender"]["role"] == "user"]
        assert all(answered[u] == 1 for u in users), answered  # every message answered exactly once
        assert not [d for d in stored if "bot_turn" in d]
        assert rasa.count(HELD_B) == 1 and rasa.count(HELD_A) == 2
    finally:
        await rasa.stop()
        three.start_bridge(1)

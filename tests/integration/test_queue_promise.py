"""One promise to a queued citizen: position and a measured wait in help hours, one message outside them.

A system of its own whose help hours do not depend on the clock: civil affairs always open, education
never open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from core.clock import now
from ops.system import System
from tests.integration.systems import MultiHarness, open_harness, own_system
from tests.support import start_conversation

OPEN, CLOSED = "civil-affairs", "education"
HOURS = {"default": {"start": "00:00", "end": "24:00", "days": "all"},
         "overrides": {CLOSED: {"start": "00:00", "end": "00:00"}}}


@pytest.fixture(scope="module")
def promise_system() -> Iterator[System]:
    yield from own_system("promise", bridges=1, HELP_HOURS=json.dumps(HOURS))


@pytest.fixture
async def ph(promise_system: System) -> AsyncIterator[MultiHarness]:
    async for h in open_harness(promise_system):
        yield h


async def closed_conversations(h: MultiHarness, department: str, handled_s: float, n: int) -> None:
    """`n` conversations of `department` an agent handled in `handled_s` each, closed in the last hour."""
    t = now()
    await h.store.conversations.insert_many([
        {"_id": uuid.uuid4().hex, "state": "closed", "department": department, "user": {"id": "u-past"},
         "created_at": t, "assigned_at": t - dt.timedelta(minutes=i + 1, seconds=handled_s),
         "closed_at": t - dt.timedelta(minutes=i + 1)} for i in range(n)])


async def test_in_hours_the_citizen_gets_a_position_and_a_measured_wait(ph: MultiHarness):
    await ph.reset_department(OPEN)
    await closed_conversations(ph, OPEN, 600, 5)  # this department takes ten minutes a conversation
    agent = await ph.agent([OPEN], capacity=1)
    first = await ph.user()
    busy = await start_conversation(first, "结婚登记怎么预约", matter="marriage-registration")
    assert (await first.call("handoff", {"conversation_id": busy}))["state"] == "with_agent"
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == busy)
    user = await ph.user()
    cid = await start_conversation(user, "离婚登记要带什么", matter="marriage-registration")
    ack = await user.call("handoff", {"conversation_id": cid})
    assert ack["state"] == "queued" and ack["queue_position"] == 1
    assert ack["estimated_wait_s"] == 600  # measured 600 s over one online slot, not the fallback
    assert "left_message" not in ack
    notice = await user.wait_for("message", conversation_id=cid, pred=lambda d: d["meta"].get("event") == "handed_off")
    assert "正在为您转接" in notice["text"] and "非人工服务时间" not in notice["text"]
    assert notice["meta"]["left_message"] is False


async def test_out_of_hours_only_the_one_message(ph: MultiHarness):
    await ph.reset_department(CLOSED)
    users = [await ph.user() for _ in range(2)]
    cids = [await start_conversation(u, "入学报名怎么办", matter="school-enrollment") for u in users]
    acks = [await u.call("handoff", {"conversation_id": c}) for u, c in zip(users, cids, strict=True)]
    for ack in acks:
        assert ack["state"] == "queued" and ack["left_message"] is True and ack["reply_after"]
        assert "queue_position" not in ack and "estimated_wait_s" not in ack
    user, cid = users[0], cids[0]
    notice = await user.wait_for("message", conversation_id=cid, pred=lambda d: d["meta"].get("event") == "handed_off")
    reply_after = dt.datetime.fromisoformat(acks[0]["reply_after"].replace("Z", "+00:00"))
    assert "非人工服务时间" in notice["text"] and "正在为您转接" not in notice["text"]
    assert f"{reply_after.astimezone(dt.timezone(dt.timedelta(hours=8))):%m月%d日 %H:%M}" in notice["text"]
    assert "回复后我们会通过消息通知您" in notice["text"]  # an app citizen: the push stand-in reaches them
    assert notice["meta"]["left_message"] is True
    sync = await user.call("sync", {"conversation_id": cid, "after_seq": 0})
    assert "queue_position" not in sync["state_info"] and sync["state_info"]["left_message"] is True
    # an agent who comes online out of hours may still answer the left message early
    agent = await ph.agent([CLOSED], capacity=1)
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    await asyncio.sleep(1.0)  # queue refreshes after the assignment have gone out
    for u, c in zip(users, cids, strict=True):
        states = u.of("state", conversation_id=c)
        assert not [s for s in states if "queue_position" in s or "estimated_wait_s" in s], states
        texts = [m["text"] for m in u.messages(c) if m["sender"]["role"] == "system"]
        assert sum("非人工服务时间" in t for t in texts) == 1, texts


async def test_transfer_to_a_closed_department_leaves_a_message(ph: MultiHarness):
    await ph.reset_department(OPEN)
    await ph.reset_department(CLOSED)
    agent = await ph.agent([OPEN])
    user = await ph.user()
    cid = await start_conversation(user, "孩子入学要办居住证吗", matter="marriage-registration")
    assert (await user.call("handoff", {"conversation_id": cid}))["state"] == "with_agent"
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    ack = await agent.call("transfer", {"conversation_id": cid, "department": CLOSED, "note": "入学问题"})
    assert ack["ok"], ack
    notice = await user.wait_for("message", conversation_id=cid, pred=lambda d: d["meta"].get("event") == "transferred")
    assert "非人工服务时间" in notice["text"] and notice["meta"]["left_message"] is True
    state = await user.wait_for("state", conversation_id=cid, pred=lambda d: d["state"] == "queued")
    assert state.get("left_message") is True and "queue_position" not in state
    sync = await user.call("sync", {"conversation_id": cid, "after_seq": 0})
    assert sync["state_info"]["left_message"] is True and "estimated_wait_s" not in sync["state_info"]

"""Conversation transitions without sockets: handoff, transfer, escalate, close, handback; illegal ones refused."""

from __future__ import annotations

import pytest

from bridge.domain.messaging import Draft
from bridge.infra import rooms
from core.errors import ApiError
from tests.domain.conftest import DEPARTMENT, MATTER, Desk, user

OTHER = "human-resources"


async def bot_conversation(desk: Desk) -> dict:
    first = await desk.ctx.messaging.from_user(user(), Draft(client_msg_id="m1", text="公积金提取", matter=MATTER))
    return await desk.ctx.conversations.get(first["conversation_id"])


async def by_user(conv: dict) -> dict:
    return {"role": "user", "id": conv["user"]["id"]}


async def test_handoff_queues_then_assigns_when_an_agent_is_free(desk: Desk):
    conv = await bot_conversation(desk)
    queued = await desk.ctx.lifecycle.handoff(conv, await by_user(conv), "user_request")
    assert queued["state"] == "queued" and queued["department"] == DEPARTMENT and queued["handed_off"]
    assert await desk.ctx.lifecycle.handoff(queued, await by_user(conv), "again") is None  # not in state bot
    agent = await desk.add_agent("a1")
    assert await desk.ctx.assignment.dispatch(DEPARTMENT) == 1
    served = await desk.ctx.conversations.get(conv["_id"], fresh=True)
    assert served["state"] == "with_agent" and served["agent"]["id"] == agent.id
    assigned = desk.sio.to(rooms.staff(agent.id), "assigned")
    assert assigned[-1]["conversation"]["id"] == conv["_id"]
    notices = [m["meta"].get("event") for m in desk.sio.to(rooms.user(conv["user"]["id"]), "message")]
    assert notices[-2:] == ["handed_off", "agent_joined"]


async def test_transfer_to_department_and_to_agent(desk: Desk):
    conv = await bot_conversation(desk)
    agent = await desk.add_agent("a1")
    other = await desk.add_agent("a2", [DEPARTMENT, OTHER])
    served = await desk.ctx.lifecycle.handoff(conv, await by_user(conv), "user_request")
    first = served["agent"]["id"]
    second = other if first == agent.id else agent
    caller = agent if first == agent.id else other
    moved = await desk.ctx.lifecycle.transfer(served, caller, department=None, agent_id=second.id, note="请接手")
    assert moved["state"] == "with_agent" and moved["agent"]["id"] == second.id
    assert desk.sio.to(rooms.staff(caller.id), "unassigned")[-1]["reason"] == "transferred"
    with pytest.raises(ApiError, match="unknown_agent"):
        await desk.ctx.lifecycle.transfer(moved, second, department=None, agent_id="nobody", note="")
    with pytest.raises(ApiError, match="unknown_department"):
        await desk.ctx.lifecycle.transfer(moved, second, department="nowhere", agent_id=None, note="")
    await desk.store.agents.update_many({}, {"$set": {"status": "offline"}})
    requeued = await desk.ctx.lifecycle.transfer(moved, second, department=OTHER, agent_id=None, note="转部门")
    assert requeued["state"] == "queued" and requeued["department"] == OTHER and requeued["agent"] is None
    agents = {a["_id"]: a["active"] async for a in desk.store.agents.find({})}
    assert agents == {agent.id: 0, other.id: 0}


async def test_escalate_creates_a_work_order_and_refuses_outside_with_agent(desk: Desk):
    conv = await bot_conversation(desk)
    agent = await desk.add_agent("a1")
    with pytest.raises(ApiError, match="invalid_state"):
        await desk.ctx.lifecycle.escalate(conv, agent, "热线处理")
    assert await desk.store.work_orders.count_documents({}) == 0
    served = await desk.ctx.lifecycle.handoff(conv, await by_user(conv), "user_request")
    order, escalated = await desk.ctx.lifecycle.escalate(served, agent, "需要热线协调")
    assert escalated["state"] == "escalated" and escalated["ticket"] == order["_id"]
    stored = await desk.store.work_orders.find_one({"_id": order["_id"]})
    assert stored["conversation_id"] == conv["_id"] and stored["summary"] == "需要热线协调"
    assert (await desk.store.agents.find_one({"_id": agent.id}))["active"] == 0
    with pytest.raises(ApiError, match="invalid_state"):
        await desk.ctx.lifecycle.escalate(escalated, agent, "再次升级")


async def test_close_and_handback(desk: Desk):
    conv = await bot_conversation(desk)
    agent = await desk.add_agent("a1")
    served = await desk.ctx.lifecycle.handoff(conv, await by_user(conv), "user_request")
    back = await desk.ctx.lifecycle.handback(served, {"role": "agent", "id": agent.id})
    assert back["state"] == "bot" and back["agent"] is None
    assert await desk.ctx.lifecycle.handback(back, {"role": "agent", "id": agent.id}) is None  # already with the bot
    served = await desk.ctx.lifecycle.handoff(back, await by_user(conv), "user_request")
    closed = await desk.ctx.lifecycle.close_by_staff(served, agent, True, None)
    assert closed["state"] == "closed" and closed["resolved"] is True
    assert (await desk.store.agents.find_one({"_id": agent.id}))["active"] == 0
    assert await desk.ctx.lifecycle.close(closed, {"role": "agent", "id": agent.id}, True,
                                          from_states=("with_agent", "escalated")) is None
    with pytest.raises(ApiError, match="conversation_closed"):
        await desk.ctx.lifecycle.request_human(closed, await by_user(conv), "user_request")
    last = desk.sio.to(rooms.user(conv["user"]["id"]), "state")[-1]
    assert last["state"] == "closed"


async def test_user_ends_a_bot_conversation_with_the_bot_verdict(desk: Desk):
    conv = await bot_conversation(desk)
    await desk.ctx.conversations.set_fields(conv["_id"], {"bot_resolved": True})
    conv = await desk.ctx.conversations.get(conv["_id"], fresh=True)
    await desk.ctx.lifecycle.end_by_user(conv, await by_user(conv))
    closed = await desk.ctx.conversations.get(conv["_id"], fresh=True)
    assert closed["state"] == "closed" and closed["resolved"] is True and closed["ended_by"] == "user"

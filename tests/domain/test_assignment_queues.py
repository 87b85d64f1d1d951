"""Assignment (capacity, least loaded then longest idle) and queues (position, estimated wait) without sockets."""

from __future__ import annotations

import datetime as dt
import uuid

from bridge.domain.messaging import Draft
from bridge.domain.queues import DEFAULT_HANDLE_S, queue_key
from bridge.infra import rooms
from core.clock import now
from tests.domain.conftest import DEPARTMENT, MATTER, Desk, user


async def queued(desk: Desk, n: int) -> list[dict]:
    """`n` conversations handed off in order while no agent is online."""
    out = []
    for i in range(n):
        u = user()
        first = await desk.ctx.messaging.from_user(u, Draft(client_msg_id=uuid.uuid4().hex, text=f"问题{i}",
                                                            matter=MATTER))
        conv = await desk.ctx.conversations.get(first["conversation_id"])
        out.append(await desk.ctx.lifecycle.handoff(conv, {"role": "user", "id": u.id}, "user_request"))
    return out


async def test_candidates_least_loaded_then_longest_idle(desk: Desk):
    t = now()
    await desk.add_agent("busy", active=1, last_assigned_at=t - dt.timedelta(hours=2))
    await desk.add_agent("recent", active=0, last_assigned_at=t - dt.timedelta(minutes=1))
    await desk.add_agent("idle", active=0, last_assigned_at=t - dt.timedelta(hours=1))
    await desk.add_agent("never", active=0)
    await desk.add_agent("full", active=2, capacity=2)
    await desk.add_agent("away", status="away")
    await desk.add_agent("elsewhere", departments=["taxation"])
    order = [a["_id"] for a in await desk.ctx.assignment.candidates(DEPARTMENT)]
    assert order == ["never", "idle", "recent", "busy"]


async def test_dispatch_respects_capacity_and_keeps_queue_order(desk: Desk):
    convs = await queued(desk, 4)
    assert all(c["state"] == "queued" for c in convs)
    await desk.add_agent("a1", capacity=1)
    await desk.add_agent("a2", capacity=2)
    assert await desk.ctx.assignment.dispatch(DEPARTMENT) == 3
    states = [(await desk.ctx.conversations.get(c["_id"], fresh=True)) for c in convs]
    assert [s["state"] for s in states] == ["with_agent", "with_agent", "with_agent", "queued"]
    agents = {a["_id"]: a["active"] async for a in desk.store.agents.find({})}
    assert agents == {"a1": 1, "a2": 2}
    assert not await desk.ctx.assignment.reserve("a1")  # full
    assert await desk.ctx.assignment.dispatch(DEPARTMENT) == 0
    assert desk.sio.to(rooms.staff("a2"), "assigned")


async def test_queue_position_and_estimated_wait(desk: Desk):
    convs = await queued(desk, 3)
    positions = [await desk.ctx.queues.position(c) for c in convs]
    assert positions == [1, 2, 3]
    # nobody online: a full handle time per position
    assert await desk.ctx.queues.estimated_wait(DEPARTMENT, 3) == int(3 * DEFAULT_HANDLE_S)
    await desk.add_agent("a1", capacity=2, active=2)
    await desk.add_agent("a2", capacity=1, active=1)
    assert await desk.ctx.queues.estimated_wait(DEPARTMENT, 3) == round(3 * DEFAULT_HANDLE_S / 3)
    info = await desk.ctx.queues.state_info(convs[1])
    assert info["queue_position"] == 2 and info["estimated_wait_s"] == round(2 * DEFAULT_HANDLE_S / 3)
    stats = await desk.ctx.queues.stats([DEPARTMENT, "taxation"])
    assert [(s["department"], s["waiting"]) for s in stats] == [(DEPARTMENT, 3), ("taxation", 0)]
    await desk.ctx.queues.notify(DEPARTMENT)
    sent = desk.sio.to(rooms.user(convs[2]["user"]["id"]), "state")
    assert sent[-1]["queue_position"] == 3


async def test_handoffs_in_the_same_millisecond_get_distinct_positions(desk: Desk):
    convs = await queued(desk, 2)
    same = {"queued_at": convs[0]["queued_at"]}
    for c in convs:  # as if both were handed off in the same millisecond
        await desk.ctx.conversations.set_fields(c["_id"], {**same, "queue_key": queue_key(same["queued_at"], False,
                                                                                         c["_id"])})
    fresh = [await desk.ctx.conversations.get(c["_id"], fresh=True) for c in convs]
    assert sorted([await desk.ctx.queues.position(c) for c in fresh]) == [1, 2]

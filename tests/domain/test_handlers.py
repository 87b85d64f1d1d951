"""Socket handlers are plain functions: called here with a context and a call, without a socket."""

from __future__ import annotations

import uuid

import pytest

from bridge.infra import rooms
from bridge.transport import schemas as s
from bridge.transport.sio import agent as agent_events
from bridge.transport.sio import supervisor as supervisor_events
from bridge.transport.sio import user as user_events
from bridge.transport.sio.router import Call
from core.errors import ApiError
from tests.domain.conftest import DEPARTMENT, MATTER, Desk, user


async def test_user_message_and_sync_handlers(desk: Desk):
    u = user()
    call = Call("sid-1", u, rooms.USER_NS)
    ack = await user_events.message(desk.ctx, call, s.MessageIn(client_msg_id=uuid.uuid4().hex, text="你好",
                                                                 matter=MATTER))
    assert ack["ok"] and ack["seq"] == 1
    synced = await user_events.sync(desk.ctx, call, s.SyncIn(conversation_id=ack["conversation_id"]))
    assert [m["seq"] for m in synced["messages"]] == [1] and synced["state"] == "bot"
    other = Call("sid-2", user(), rooms.USER_NS)
    with pytest.raises(ApiError, match="forbidden"):
        await user_events.sync(desk.ctx, other, s.SyncIn(conversation_id=ack["conversation_id"]))


async def test_agent_and_supervisor_handlers(desk: Desk):
    u = user()
    ack = await user_events.message(desk.ctx, Call("sid-u", u, rooms.USER_NS),
                                    s.MessageIn(client_msg_id=uuid.uuid4().hex, text="公积金", matter=MATTER))
    agent = await desk.add_agent("a1")
    cid = ack["conversation_id"]
    handed = await user_events.handoff(desk.ctx, Call("sid-u", u, rooms.USER_NS), s.HandoffIn(conversation_id=cid))
    assert handed["state"] == "with_agent" and handed["agent"]["id"] == "a1"
    # the supervisor joins after the handoff: free staff are chosen in random order, and the test needs a1
    boss = await desk.add_agent("boss", role="supervisor")
    a_call = Call("sid-a", agent, rooms.STAFF_NS)
    with pytest.raises(ApiError, match="invalid_payload"):
        await agent_events.transfer(desk.ctx, a_call, s.TransferIn(conversation_id=cid, agent="a1"))
    overview = await supervisor_events.supervise(desk.ctx, Call("sid-b", boss, rooms.STAFF_NS), None)
    assert [c["id"] for c in overview["conversations"]] == [cid]
    assert {a["id"] for a in overview["agents"]} == {"a1", "boss"}
    assert overview["queues"] == [{"department": DEPARTMENT, "waiting": 0, "oldest_wait_s": 0}]
    closed = await agent_events.close(desk.ctx, a_call, s.CloseIn(conversation_id=cid, resolved=True))
    assert closed == {"ok": True, "state": "closed"}

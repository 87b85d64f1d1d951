"""A handoff of a young conversation stored by this process reads neither its summary nor its history;
one whose messages this process did not all store reads them, with the same result."""

from __future__ import annotations

import uuid

from pymongo.asynchronous.collection import AsyncCollection

from bridge.domain.handoff_summary import summary_of
from bridge.domain.messaging import Draft
from bridge.infra import rooms
from tests.domain.conftest import MATTER, Desk, user


async def opened(desk: Desk) -> tuple:
    u = user()
    first = await desk.ctx.messaging.from_user(u, Draft(client_msg_id=uuid.uuid4().hex, text="公积金提取",
                                                        matter=MATTER))
    conv = await desk.ctx.conversations.get(first["conversation_id"])
    await desk.ctx.messaging.bot_replies(conv["_id"], {"role": "bot", "id": "xiaoshen", "name": "小申"}, first,
                                         [{"text": "请问您要提取哪一类？", "meta": {}}])
    return u, conv


async def test_handoff_of_a_young_conversation_needs_no_message_reads(desk: Desk, monkeypatch):
    u, conv = await opened(desk)
    agent = await desk.add_agent("a1")
    reads: list[str] = []
    find = AsyncCollection.find

    def counted(coll, *args, **kwargs):
        reads.append(coll.name)
        return find(coll, *args, **kwargs)

    monkeypatch.setattr(AsyncCollection, "find", counted)
    await desk.ctx.lifecycle.handoff(conv, {"role": "user", "id": u.id}, "user_request")
    assert "messages" not in reads
    fresh = await desk.store.conversations.find_one({"_id": conv["_id"]})
    assert fresh["state"] == "with_agent"
    assert fresh["summary"]["question"] == "公积金提取" and fresh["summary"]["bot_answer"] == "请问您要提取哪一类？"
    assigned = desk.sio.to(rooms.staff(agent.id), "assigned")[0]
    assert [m["seq"] for m in assigned["messages"]] == [1, 2]  # the history the agent gets, in full


async def test_a_message_stored_by_another_process_makes_the_handoff_read(desk: Desk):
    u, conv = await opened(desk)
    messages = desk.ctx.messages
    assert messages.recent(conv["_id"]) is not None
    # another bridge stored seq 3 (the user's second device); this process learns it through the relay
    await desk.store.messages.insert_one({"_id": "other", "conversation_id": conv["_id"], "seq": 3, "type": "text",
                                          "sender": {"role": "user", "id": u.id, "name": "x"}, "text": "还有别的吗",
                                          "meta": {}, "ts": conv["created_at"]})
    messages.observe({"conversation_id": conv["_id"], "seq": 3})
    assert messages.recent(conv["_id"]) is None
    summary = await summary_of(conv, messages)
    assert summary["question"] == "还有别的吗" and summary["bot_answer"] == "请问您要提取哪一类？"

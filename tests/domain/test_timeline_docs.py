"""The timeline keeps what it told, in fewer documents: the `created` entry comes from the conversation,
a handoff straight to an agent is one document for `handoff` and `assigned`."""

from __future__ import annotations

import uuid

from bridge.domain.messaging import Draft
from tests.domain.conftest import MATTER, Desk, user


async def opened(desk: Desk) -> tuple:
    u = user()
    first = await desk.ctx.messaging.from_user(u, Draft(client_msg_id=uuid.uuid4().hex, text="公积金提取",
                                                        matter=MATTER))
    return u, await desk.ctx.conversations.get(first["conversation_id"])


async def test_a_direct_handoff_is_one_document_and_reads_as_three_entries(desk: Desk):
    u, conv = await opened(desk)
    agent = await desk.add_agent("a1")
    await desk.ctx.lifecycle.handoff(conv, {"role": "user", "id": u.id}, "user_request")
    docs = await desk.store.timeline.find({"conversation_id": conv["_id"]}).to_list(None)
    assert len(docs) == 1 and docs[0]["event"] == ["handoff", "assigned"]
    # a query for one event finds the document that holds it (MongoDB matches an array's elements)
    assert await desk.store.timeline.count_documents({"conversation_id": conv["_id"], "event": "assigned"}) == 1
    fresh = await desk.store.conversations.find_one({"_id": conv["_id"]})
    entries = await desk.ctx.timeline.of(fresh)
    assert [e["event"] for e in entries] == ["created", "handoff", "assigned"]
    assert entries[0]["by"] == {"role": "user", "id": u.id}
    assert entries[0]["detail"] == {"channel": conv["channel"], "matter": MATTER}
    assert entries[1]["by"] == {"role": "user", "id": u.id} and entries[1]["detail"]["reason"] == "user_request"
    assert entries[2]["detail"] == {"agent": agent.id} and entries[2]["ts"] == entries[1]["ts"]


async def test_created_keeps_the_first_matter_and_a_stored_created_entry_is_not_doubled(desk: Desk):
    _, conv = await opened(desk)
    await desk.ctx.conversations.set_fields(conv["_id"], {"matter": "other-matter"})
    fresh = await desk.store.conversations.find_one({"_id": conv["_id"]})
    assert (await desk.ctx.timeline.of(fresh))[0]["detail"]["matter"] == MATTER
    # a conversation from before this change has its `created` entry stored: shown once, as stored
    await desk.ctx.timeline.add(conv["_id"], "created", {"role": "user", "id": "legacy"}, {"channel": "web"})
    await desk.ctx.timeline.add(conv["_id"], "closed", None, {"resolved": True})
    entries = await desk.ctx.timeline.of(fresh)
    assert [(e["event"], e["by"]["id"]) for e in entries] == [("created", "legacy"), ("closed", "system")]

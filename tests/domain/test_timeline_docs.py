"""The timeline keeps what it told in fewer documents: a conversation's state changes are appended to it
by the transition's own write, its `created` entry is read from it; other events stay documents."""

from __future__ import annotations

import uuid

from bridge.domain.messaging import Draft
from tests.domain.conftest import MATTER, Desk, user


async def opened(desk: Desk) -> tuple:
    u = user()
    first = await desk.ctx.messaging.from_user(u, Draft(client_msg_id=uuid.uuid4().hex, text="公积金提取",
                                                        matter=MATTER))
    return u, await desk.ctx.conversations.get(first["conversation_id"])


async def test_a_direct_handoff_writes_no_timeline_document_and_reads_as_three_entries(desk: Desk):
    u, conv = await opened(desk)
    agent = await desk.add_agent("a1")
    await desk.ctx.lifecycle.handoff(conv, {"role": "user", "id": u.id}, "user_request")
    assert await desk.store.timeline.count_documents({"conversation_id": conv["_id"]}) == 0
    fresh = await desk.store.conversations.find_one({"_id": conv["_id"]})
    assert [e["event"] for e in fresh["timeline"]] == ["handoff", "assigned"]
    entries = await desk.ctx.timeline.of(fresh)
    assert [e["event"] for e in entries] == ["created", "handoff", "assigned"]
    assert entries[0]["by"] == {"role": "user", "id": u.id}
    assert entries[0]["detail"] == {"channel": conv["channel"], "matter": MATTER}
    assert entries[1]["by"] == {"role": "user", "id": u.id} and entries[1]["detail"]["reason"] == "user_request"
    assert entries[2]["detail"] == {"agent": agent.id} and entries[2]["ts"] == entries[1]["ts"]


async def test_state_changes_and_other_events_read_in_order(desk: Desk):
    u, conv = await opened(desk)
    await desk.ctx.conversations.set_fields(conv["_id"], {"matter": "other-matter"})
    await desk.ctx.lifecycle.handoff(conv, {"role": "user", "id": u.id}, "user_request")  # nobody online: queued
    await desk.ctx.timeline.add(conv["_id"], "notify_sent", None, {"channel": "sms"})
    fresh = await desk.store.conversations.find_one({"_id": conv["_id"]})
    await desk.ctx.lifecycle.end_by_user(fresh, {"role": "user", "id": u.id})
    fresh = await desk.store.conversations.find_one({"_id": conv["_id"]})
    entries = await desk.ctx.timeline.of(fresh)
    assert [e["event"] for e in entries] == ["created", "handoff", "notify_sent", "closed"]
    assert entries[0]["detail"]["matter"] == MATTER  # the matter it was opened with, not the one learned later
    assert entries[2]["by"] == {"role": "system", "id": "system"}


async def test_a_conversation_stored_before_keeps_its_timeline_documents(desk: Desk):
    _, conv = await opened(desk)
    await desk.ctx.timeline.add(conv["_id"], "created", {"role": "user", "id": "legacy"}, {"channel": "web"})
    await desk.ctx.timeline.add(conv["_id"], "closed", None, {"resolved": True})
    entries = await desk.ctx.timeline.of(await desk.store.conversations.find_one({"_id": conv["_id"]}))
    assert [(e["event"], e["by"]["id"]) for e in entries] == [("created", "legacy"), ("closed", "system")]

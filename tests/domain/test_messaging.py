"""The send path without sockets: numbering, idempotency, ordering, refusals, follow-ups."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bridge.domain.messaging import Draft
from bridge.infra import rooms
from core.errors import ApiError
from tests.domain.conftest import DEPARTMENT, MATTER, Desk, user


def draft(text: str = "你好", cid: str | None = None, mid: str | None = None, **kw) -> Draft:
    return Draft(client_msg_id=mid or uuid.uuid4().hex, text=text, conversation_id=cid, **kw)


async def served(desk: Desk) -> tuple:
    """A conversation assigned to an online agent: (user, agent, conversation)."""
    u = user()
    first = await desk.ctx.messaging.from_user(u, draft("公积金提取", matter=MATTER))
    agent = await desk.add_agent("a1")
    conv = await desk.ctx.conversations.get(first["conversation_id"])
    await desk.ctx.lifecycle.handoff(conv, {"role": "user", "id": u.id}, "user_request")
    conv = await desk.ctx.conversations.get(conv["_id"], fresh=True)
    assert conv["state"] == "with_agent"
    return u, agent, conv


async def test_numbering_is_gap_free_and_delivered_to_the_user(desk: Desk):
    u = user()
    first = await desk.ctx.messaging.from_user(u, draft("第0条"))
    cid = first["conversation_id"]
    for i in range(1, 12):
        await desk.ctx.messaging.from_user(u, draft(f"第{i}条", cid))
    docs = await desk.ctx.messages.since(cid, 0)
    assert [d["seq"] for d in docs] == list(range(1, 13))
    assert [d["text"] for d in docs] == [f"第{i}条" for i in range(12)]
    delivered = desk.sio.to(rooms.user(u.id), "message")
    assert [m["seq"] for m in delivered] == list(range(1, 13))
    assert desk.bot.started == [(cid, seq) for seq in range(1, 13)]  # every user message in state bot


async def test_resend_by_client_msg_id_stores_and_delivers_nothing(desk: Desk):
    u = user()
    mid = uuid.uuid4().hex
    a = await desk.ctx.messaging.from_user(u, draft("居住证怎么办", mid=mid))
    b = await desk.ctx.messaging.from_user(u, draft("居住证怎么办", mid=mid))
    assert a["_id"] == b["_id"] and a["seq"] == b["seq"] == 1
    assert await desk.store.conversations.count_documents({"user.id": u.id}) == 1
    mid2 = uuid.uuid4().hex
    c = await desk.ctx.messaging.from_user(u, draft("需要什么材料", a["conversation_id"], mid2))
    d = await desk.ctx.messaging.from_user(u, draft("需要什么材料", a["conversation_id"], mid2))
    assert c["_id"] == d["_id"] and c["seq"] == 2
    assert await desk.store.messages.count_documents({"conversation_id": a["conversation_id"]}) == 2
    assert len(desk.sio.to(rooms.user(u.id), "message")) == 2
    assert len(desk.bot.started) == 2


async def test_concurrent_senders_keep_their_order_without_gaps(desk: Desk):
    u, agent, conv = await served(desk)
    before = len(await desk.ctx.messages.since(conv["_id"], 0))

    async def burst(send, who, n: int) -> None:
        for i in range(n):
            await send(who, draft(f"{who.role}-{i}", conv["_id"]))

    await asyncio.gather(burst(desk.ctx.messaging.from_user, u, 15), burst(desk.ctx.messaging.from_staff, agent, 15),
                         *[desk.ctx.messaging.from_user(u, draft(f"并发{i}", conv["_id"])) for i in range(10)])
    docs = await desk.ctx.messages.since(conv["_id"], 0)
    assert [d["seq"] for d in docs] == list(range(1, before + 41))
    for role in ("user", "agent"):
        mine = [d["text"] for d in docs if d["text"].startswith(f"{role}-")]
        assert mine == [f"{role}-{i}" for i in range(15)]


async def test_banned_phrase_is_refused_audited_and_not_stored(desk: Desk):
    u, agent, conv = await served(desk)
    before = await desk.store.messages.count_documents({"conversation_id": conv["_id"]})
    with pytest.raises(ApiError) as err:
        await desk.ctx.messaging.from_staff(agent, draft("这个不归 我管", conv["_id"]))
    assert err.value.code == "forbidden_words" and err.value.extra["phrase"] == "不归我管"
    assert await desk.store.messages.count_documents({"conversation_id": conv["_id"]}) == before
    audit = await desk.store.audit.find_one({"kind": "forbidden_words", "conversation_id": conv["_id"]})
    assert audit["agent"] == agent.id and audit["phrase"] == "不归我管"
    alerts = desk.sio.to(rooms.supervisors(DEPARTMENT), "alert")
    assert alerts and alerts[-1]["kind"] == "forbidden_words"


async def test_refusals_store_nothing(desk: Desk):
    u, agent, conv = await served(desk)
    before = await desk.store.messages.count_documents({})
    with pytest.raises(ApiError, match="text_too_long"):
        await desk.ctx.messaging.from_user(u, draft("长" * 5000, conv["_id"]))
    with pytest.raises(ApiError, match="unknown_matter"):
        await desk.ctx.messaging.from_user(u, draft("你好", matter="no-such-matter"))
    with pytest.raises(ApiError, match="forbidden"):
        await desk.ctx.messaging.from_user(user(), draft("别人的会话", conv["_id"]))
    with pytest.raises(ApiError, match="invalid_payload"):
        await desk.ctx.messaging.from_staff(agent, draft("缺少会话"))
    assert await desk.store.messages.count_documents({}) == before


async def test_attachment_name_comes_from_the_media_filename(desk: Desk):
    u, agent, conv = await served(desk)
    await desk.store.media.insert_one({"_id": "m1", "conversation_id": conv["_id"], "type": "file",
                                       "mime": "application/pdf", "size": 10, "filename": "材料清单.pdf"})
    doc = await desk.ctx.messaging.from_user(u, draft("", conv["_id"], type="file", media_id="m1"))
    assert doc["media"]["name"] == "材料清单.pdf" and doc["media"]["url"] == "/api/v1/media/m1"
    with pytest.raises(ApiError) as wrong_type:
        await desk.ctx.messaging.from_user(u, draft("", conv["_id"], type="image", media_id="m1"))
    assert wrong_type.value.status == 400
    with pytest.raises(ApiError) as unknown:
        await desk.ctx.messaging.from_user(u, draft("", conv["_id"], type="file", media_id="nope"))
    assert unknown.value.status == 404


async def test_agent_first_message_records_the_first_response(desk: Desk):
    u, agent, conv = await served(desk)
    assert conv["first_response_at"] is None and conv.get("fr_pending")
    doc = await desk.ctx.messaging.from_staff(agent, draft("您好，请问有什么可以帮您", conv["_id"]))
    fresh = await desk.ctx.conversations.get(conv["_id"], fresh=True)
    assert fresh["first_response_at"] == doc["ts"] and "fr_pending" not in fresh
    assert desk.sio.to(rooms.user(u.id), "message")[-1]["id"] == doc["_id"]
    await desk.ctx.messaging.from_staff(agent, draft("第二条", conv["_id"]))
    assert (await desk.ctx.conversations.get(conv["_id"], fresh=True))["first_response_at"] == doc["ts"]


async def test_notices_and_follow_up_hooks(desk: Desk):
    u = user()
    first = await desk.ctx.messaging.from_user(u, draft("你好"))
    conv = await desk.ctx.conversations.get(first["conversation_id"])
    seen = []

    async def hook(c: dict, doc: dict) -> None:
        seen.append((c["_id"], doc["seq"], doc["sender"]["role"]))

    desk.ctx.messaging.followups.append(hook)
    notice = await desk.ctx.messaging.notice(conv, "系统通知")
    assert notice["sender"]["role"] == "system" and notice["seq"] == 2
    assert seen == [(conv["_id"], 2, "system")]
    replies = await desk.ctx.messaging.bot_replies(conv["_id"], {"role": "bot", "id": "xiaoshen", "name": "小申"},
                                                   first, [{"text": "答复", "meta": {}}])
    assert [r["seq"] for r in replies] == [3] and replies[0]["reply_to"] == first["_id"]
    assert seen[-1] == (conv["_id"], 3, "bot")

"""Namespace `/user`: citizens and enterprises on the app, mini-programs, PC portal, kiosks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from pymongo.errors import DuplicateKeyError

from bridge.domain.auth import AuthError, Principal
from bridge.domain.conversations import can_access, state_event
from bridge.infra.message_store import wire
from bridge.infra.metrics import CONNECTIONS
from bridge.transport import schemas as s
from bridge.transport.sio.router import EventRouter
from core.clock import iso, now
from core.errors import MESSAGES, ApiError

log = logging.getLogger("bangban.user")
NS = "/user"


def msg_ack(doc: dict) -> dict[str, Any]:
    return {"ok": True, "conversation_id": doc["conversation_id"], "seq": doc["seq"], "ts": iso(doc["ts"]),
            "id": doc["_id"]}


async def attach_media(ctx, conversation_id: str, media_id: str, type_: str) -> dict:
    """The stored media of a message, described by media (`media.attachments`); refused unless it
    belongs to the conversation."""
    return await ctx.attachments.describe(conversation_id, media_id, type_)


async def state_payload(ctx, conv: dict) -> dict[str, Any]:
    """The state event with queue position and wait for queued conversations."""
    if conv["state"] == "queued":
        pos = await ctx.queues.position(conv)
        return state_event(conv, queue_position=pos,
                           estimated_wait_s=await ctx.queues.estimated_wait(conv["department"], pos))
    return state_event(conv)


def register(sio: socketio.AsyncServer, ctx) -> None:
    r = EventRouter(sio, ctx, NS)
    tasks: set[asyncio.Task] = set()

    @sio.on("connect", namespace=NS)
    async def connect(sid: str, environ: dict, auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            principal = ctx.tokens.verify(token)
        except AuthError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                MESSAGES[exc.code], {"code": exc.code, "reason": exc.reason}) from None
        if principal.role != "user":
            raise socketio.exceptions.ConnectionRefusedError(
                MESSAGES["forbidden"], {"code": "forbidden", "reason": "staff token on /user"})
        await sio.save_session(sid, {"principal": principal}, namespace=NS)
        await sio.enter_room(sid, f"u:{principal.id}", namespace=NS)
        CONNECTIONS.labels(NS).inc()

    @sio.on("disconnect", namespace=NS)
    async def disconnect(sid: str, *args: Any) -> None:
        ctx.limiter.forget(f"{NS}:{sid}")
        CONNECTIONS.labels(NS).dec()

    async def own(p: Principal, conversation_id: str) -> dict:
        conv = await ctx.conversations.get(conversation_id)
        if not can_access(p, conv):
            raise ApiError(403, "forbidden")
        return conv

    @r.on("message", s.MessageIn)
    async def message(sid: str, p: Principal, m: s.MessageIn) -> dict:
        if m.text and len(m.text) > ctx.settings.max_text_len:
            raise ApiError(400, "text_too_long", max_len=ctx.settings.max_text_len)
        if m.matter and m.matter not in ctx.catalogue.matters:
            raise ApiError(400, "unknown_matter")
        sender = {"role": "user", "id": p.id, "name": p.name}
        if m.conversation_id is None:
            first = await ctx.messages.find_by_client_id(p.id, m.client_msg_id)
            if first is not None:
                return msg_ack(first)
            if m.type != "text":
                raise ApiError(400, "invalid_payload", "请先用文字描述您的问题。")
            conv = ctx.conversations.new(p, m.matter)
            if m.matter:
                conv["department"] = ctx.catalogue.route(m.matter)
            conv["bot_pending"] = ctx.bot.new_conversation_mark(conv["_id"])  # the first turn's mark, no extra write
            await ctx.conversations.insert(conv)
            try:
                doc, created = await ctx.messages.append(
                    conv["_id"], sender, "text", m.text or "", client_msg_id=m.client_msg_id,
                    new_conversation=True)
            except DuplicateKeyError:
                created = False
                doc = None
            if not created:  # the same message raced in from another device
                ctx.bot.forget(conv["_id"])
                await ctx.conversations.delete(conv["_id"])
                doc = doc or await ctx.messages.find_by_client_id(p.id, m.client_msg_id)
                return msg_ack(doc)
        else:
            conv = await own(p, m.conversation_id)
            if conv["state"] == "closed":
                first = await ctx.messages.find_by_client_id(p.id, m.client_msg_id)
                if first is not None and first["conversation_id"] == conv["_id"]:
                    return msg_ack(first)
                raise ApiError(409, "conversation_closed")
            media = await attach_media(ctx, conv["_id"], m.media_id, m.type) if m.type != "text" else None
            doc, created = await ctx.messages.append(
                conv["_id"], sender, m.type, m.text or "", client_msg_id=m.client_msg_id,
                media_id=m.media_id, media=media)
            if not created:
                return msg_ack(doc)
            if m.matter and not conv.get("matter"):
                await ctx.conversations.set_fields(conv["_id"], {"matter": m.matter})
                conv["matter"] = m.matter
        await ctx.delivery.to_conversation(conv, "message", wire(doc), skip_sid=sid)
        if conv["state"] == "bot":
            task = asyncio.create_task(ctx.bot.turn(conv, doc))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return msg_ack(doc)

    @r.on("sync", s.SyncIn, cost=0.5)
    async def sync(sid: str, p: Principal, m: s.SyncIn) -> dict:
        conv = await own(p, m.conversation_id)
        docs = await ctx.messages.since(conv["_id"], m.after_seq, m.limit)
        state = await state_payload(ctx, conv)
        return {"ok": True, "messages": [wire(d) for d in docs], "state": conv["state"], "state_info": state,
                "has_more": len(docs) == m.limit}

    @r.on("handoff", s.HandoffIn)
    async def handoff(sid: str, p: Principal, m: s.HandoffIn) -> dict:
        conv = await own(p, m.conversation_id)
        if conv["state"] == "closed":
            raise ApiError(409, "conversation_closed")
        if conv["state"] == "bot":
            by = {"role": "user", "id": p.id}
            conv = await ctx.lifecycle.handoff(conv, by, m.reason or "user_request") or await ctx.conversations.get(
                conv["_id"])
        info = await state_payload(ctx, conv)
        return {"ok": True, **{k: v for k, v in info.items() if k != "conversation_id"}}

    @r.on("typing", s.TypingIn, cost=0.2)
    async def typing(sid: str, p: Principal, m: s.TypingIn) -> dict:
        conv = await own(p, m.conversation_id)
        await ctx.delivery.to_conversation(
            conv, "typing", {"conversation_id": conv["_id"], "who": {"role": "user", "id": p.id, "name": p.name},
                             "on": m.on}, skip_sid=sid)
        return {"ok": True}

    @r.on("read", s.ReadIn, cost=0.2)
    async def read(sid: str, p: Principal, m: s.ReadIn) -> dict:
        conv = await own(p, m.conversation_id)
        # read marks are never read from the conversation cache: written without invalidating it
        # `$max` keeps the mark monotonic without a condition (an `$or` filter made the embedded
        # database scan the collection)
        await ctx.store.conversations.update_one({"_id": conv["_id"]}, {"$max": {"user_read_seq": m.seq}})
        await ctx.delivery.to_conversation(
            conv, "read", {"conversation_id": conv["_id"], "who": {"role": "user", "id": p.id}, "seq": m.seq},
            skip_sid=sid)
        return {"ok": True}

    @r.on("rate", s.RateIn)
    async def rate(sid: str, p: Principal, m: s.RateIn) -> dict:
        conv = await own(p, m.conversation_id)
        if m.target == "agent" and not conv.get("served_by"):
            raise ApiError(409, "invalid_state", "本次会话没有人工服务，无法评价帮办人员。")
        rating = {"conversation_id": conv["_id"], "target": m.target, "score": m.score, "resolved": m.resolved,
                  "comment": m.comment, "user": conv["user"], "channel": conv.get("channel"),
                  "matter": conv.get("matter"), "department": conv.get("department"),
                  "agent": conv.get("agent") or ({"id": conv["served_by"][-1]} if conv.get("served_by") else None),
                  "ts": now()}
        try:
            await ctx.store.ratings.insert_one(rating)
        except DuplicateKeyError:
            raise ApiError(409, "already_rated") from None
        await ctx.timeline.add(conv["_id"], "rated", {"role": "user", "id": p.id},
                               {"target": m.target, "score": m.score, "resolved": m.resolved})
        return {"ok": True}

    @r.on("end", s.ConversationRef)
    async def end(sid: str, p: Principal, m: s.ConversationRef) -> dict:
        conv = await own(p, m.conversation_id)
        if conv["state"] != "closed":
            resolved = conv.get("bot_resolved") if conv["state"] == "bot" else None
            await ctx.lifecycle.close(conv, {"role": "user", "id": p.id}, resolved,
                                      from_states=("bot", "queued", "with_agent", "escalated"),
                                      extra={"ended_by": "user"})
        return {"ok": True, "state": "closed"}

    @r.on("conversations", cost=0.5)
    async def conversations(sid: str, p: Principal, _: None) -> dict:
        docs = await ctx.store.conversations.find({"user.id": p.id}, sort=[("created_at", -1)], limit=20).to_list(None)
        return {"ok": True, "conversations": [
            {"id": d["_id"], "state": d["state"], "matter": d.get("matter"), "created_at": iso(d["created_at"])}
            for d in docs]}

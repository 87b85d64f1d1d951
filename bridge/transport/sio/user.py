"""Namespace `/user`: citizens and enterprises on the app, mini-programs, PC portal, kiosks.

Handlers check who may act and call the domain services; the message path is `bridge/domain/messaging.py`.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import pymongo
import socketio
from pymongo.errors import PyMongoError

from bridge.context import AppContext
from bridge.domain.conversations import can_access
from bridge.domain.messaging import Draft, message_ack
from bridge.infra import rooms
from bridge.infra.message_store import wire
from bridge.infra.metrics import CONNECTIONS
from bridge.transport import schemas as s
from bridge.transport.sio.router import Call, Event, refuse, register_events, verify_token
from core.clock import iso
from core.errors import ApiError

NS = rooms.USER_NS
SOCKET_COUNT_TIMEOUT_S = 1.5
log = logging.getLogger("bangban.user")


async def connect(ctx: AppContext, sid: str, environ: dict, auth: Any = None) -> None:
    principal = verify_token(ctx, auth)
    if principal.role != "user":
        raise refuse("forbidden", reason="staff token on /user")
    try:
        with pymongo.timeout(SOCKET_COUNT_TIMEOUT_S):
            await ctx.citizen_limits.enter_socket(principal.id, sid)
    except ApiError as exc:
        raise refuse(exc.code, limit=ctx.settings.user_max_sockets) from None
    except PyMongoError:  # the database is down: serve the citizen (writes are refused anyway) uncounted
        log.warning("socket count unavailable", exc_info=True)
    await ctx.sio.save_session(sid, {"principal": principal}, namespace=NS)
    await ctx.sio.enter_room(sid, rooms.user(principal.id), namespace=NS)
    await ctx.notify.citizens.opened(principal.id)  # the other processes learn it without a count
    await ctx.phone_links.remember(principal.id, principal.phone)  # a caller with this number is recognised
    ctx.user_expiry.arm(sid, principal.expires_at)
    await ctx.notify.consents.remember(principal)  # openid / verified phone for notifications (once per process)
    CONNECTIONS.labels(NS).inc()


async def disconnect(ctx: AppContext, sid: str, *args: Any) -> None:
    ctx.limiter.forget(f"{NS}:{sid}")
    ctx.user_expiry.disarm(sid)
    try:
        with pymongo.timeout(SOCKET_COUNT_TIMEOUT_S):
            await ctx.citizen_limits.leave_socket(sid)
    except PyMongoError:  # left behind: removed with this process's sessions once it stops
        log.warning("socket count not released", exc_info=True)
    CONNECTIONS.labels(NS).dec()
    principal = (await ctx.sio.get_session(sid, namespace=NS) or {}).get("principal")
    if principal is not None:
        await ctx.notify.citizens.closed(principal.id)  # after its row is removed: others forget it


async def own(ctx: AppContext, call: Call, conversation_id: str) -> dict:
    """The caller's conversation; refused when it is someone else's (or unknown)."""
    conv = await ctx.conversations.get(conversation_id)
    if not can_access(call.principal, conv):
        raise ApiError(403, "forbidden")
    return conv


async def message(ctx: AppContext, call: Call, m: s.MessageIn) -> dict:
    draft = Draft(client_msg_id=m.client_msg_id, type=m.type, text=m.text or "", conversation_id=m.conversation_id,
                  media_id=m.media_id, matter=m.matter)
    return message_ack(await ctx.messaging.from_user(call.principal, draft, skip_sid=call.sid))


async def sync(ctx: AppContext, call: Call, m: s.SyncIn) -> dict:
    conv = await own(ctx, call, m.conversation_id)
    docs = await ctx.messages.since(conv["_id"], m.after_seq, m.limit)
    return {"ok": True, "messages": [wire(d) for d in docs], "state": conv["state"],
            "state_info": await ctx.queues.state_info(conv), "has_more": len(docs) == m.limit}


async def handoff(ctx: AppContext, call: Call, m: s.HandoffIn) -> dict:
    conv = await own(ctx, call, m.conversation_id)
    conv = await ctx.lifecycle.request_human(conv, {"role": "user", "id": call.principal.id},
                                             m.reason or "user_request")
    info = await ctx.queues.state_info(conv)
    return {"ok": True, **{k: v for k, v in info.items() if k != "conversation_id"}}


async def typing(ctx: AppContext, call: Call, m: s.TypingIn) -> dict:
    conv = await own(ctx, call, m.conversation_id)
    p = call.principal
    await ctx.delivery.to_conversation(
        conv, "typing", {"conversation_id": conv["_id"], "who": {"role": "user", "id": p.id, "name": p.name},
                         "on": m.on}, skip_sid=call.sid)
    return {"ok": True}


async def read(ctx: AppContext, call: Call, m: s.ReadIn) -> dict:
    conv = await own(ctx, call, m.conversation_id)
    await ctx.messaging.mark_read(conv, {"role": "user", "id": call.principal.id}, m.seq, skip_sid=call.sid)
    return {"ok": True}


async def rate(ctx: AppContext, call: Call, m: s.RateIn) -> dict:
    conv = await own(ctx, call, m.conversation_id)
    await ctx.ratings.rate(conv, m.target, m.score, m.resolved, m.comment)
    return {"ok": True}


async def end(ctx: AppContext, call: Call, m: s.ConversationRef) -> dict:
    conv = await own(ctx, call, m.conversation_id)
    await ctx.lifecycle.end_by_user(conv, {"role": "user", "id": call.principal.id})
    return {"ok": True, "state": "closed"}


async def conversations(ctx: AppContext, call: Call, _: None) -> dict:
    docs = await ctx.conversations.of_user(call.principal.id)
    return {"ok": True, "conversations": [
        {"id": d["_id"], "state": d["state"], "matter": d.get("matter"), "created_at": iso(d["created_at"])}
        for d in docs]}


async def notify_consent(ctx: AppContext, call: Call, m: s.NotifyConsentIn) -> dict:
    counts = await ctx.notify.consents.record(call.principal, m.provider, m.accepted, m.rejected)
    return {"ok": True, "data": {"provider": m.provider, "consent": counts}}


EVENTS = (
    Event("message", message, s.MessageIn),
    Event("sync", sync, s.SyncIn, cost=0.5),
    Event("handoff", handoff, s.HandoffIn),
    Event("typing", typing, s.TypingIn, cost=0.2),
    Event("read", read, s.ReadIn, cost=0.2),
    Event("rate", rate, s.RateIn),
    Event("end", end, s.ConversationRef),
    Event("conversations", conversations, cost=0.5),
    Event("notify:consent", notify_consent, s.NotifyConsentIn),
)


def register(sio: socketio.AsyncServer, ctx: AppContext) -> None:
    """Connection handling and the events of `/user`."""
    sio.on("connect", namespace=NS)(partial(connect, ctx))
    sio.on("disconnect", namespace=NS)(partial(disconnect, ctx))
    register_events(sio, ctx, NS, EVENTS)

"""Namespace `/agent`: agents and supervisors in the web pane (supervisor events: `supervisor.py`).

Handlers check who may act and call the domain services; the message path is `bridge/domain/messaging.py`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import socketio

from bridge.context import AppContext
from bridge.domain.conversations import can_access, conversation_card
from bridge.domain.escalation import ticket_wire
from bridge.domain.messaging import Draft, message_ack
from bridge.domain.staff_sessions import department_rooms
from bridge.infra import rooms
from bridge.infra.message_store import wire
from bridge.infra.metrics import CONNECTIONS
from bridge.transport import schemas as s
from bridge.transport.sio import supervisor
from bridge.transport.sio.router import Call, Event, refuse, register_events, verify_token
from core.errors import ApiError

NS = rooms.STAFF_NS
STAFF = ("agent", "supervisor", "admin")


async def connect(ctx: AppContext, sid: str, environ: dict, auth: Any = None) -> None:
    """A staff socket with the role and departments the database has now (not the token's)."""
    token_p = verify_token(ctx, auth)
    if token_p.role not in STAFF:
        raise refuse("forbidden")
    p = await ctx.staff.current(token_p, fresh=True)
    if isinstance(p, str):
        raise refuse(p)
    await ctx.sio.save_session(sid, {"principal": p}, namespace=NS)
    await ctx.sio.enter_room(sid, rooms.staff(p.id), namespace=NS)
    for room in department_rooms(p):
        await ctx.sio.enter_room(sid, room, namespace=NS)
    await ctx.presence.connected(sid, p.id)
    CONNECTIONS.labels(NS).inc()


async def disconnect(ctx: AppContext, sid: str, *args: Any) -> None:
    ctx.limiter.forget(f"{NS}:{sid}")
    p = await ctx.sessions.principal(sid, NS)
    if p is not None:
        CONNECTIONS.labels(NS).dec()
        await ctx.presence.disconnected(sid, p.id)


async def mine(ctx: AppContext, call: Call, conversation_id: str) -> dict:
    """A conversation assigned to the caller (or in a supervisor's departments); refused otherwise."""
    conv = await ctx.conversations.get(conversation_id)
    if not can_access(call.principal, conv):
        raise ApiError(403, "forbidden")
    return conv


def by(call: Call) -> dict[str, str]:
    return {"role": call.principal.role, "id": call.principal.id}


async def presence(ctx: AppContext, call: Call, m: s.PresenceIn) -> dict:
    agent = await ctx.presence.set_status(call.principal.id, m.status)
    if m.status == "online":
        agent = await ctx.assignment.went_online(agent)
    return {"ok": True, "status": agent["status"], "capacity": agent.get("capacity", 5),
            "active": agent.get("active", 0)}


async def message(ctx: AppContext, call: Call, m: s.StaffMessageIn) -> dict:
    draft = Draft(client_msg_id=m.client_msg_id, type=m.type, text=m.text or "", conversation_id=m.conversation_id,
                  media_id=m.media_id, kb_article=m.kb_article)
    return message_ack(await ctx.messaging.from_staff(call.principal, draft, skip_sid=call.sid))


async def sync(ctx: AppContext, call: Call, m: s.SyncIn) -> dict:
    conv = await mine(ctx, call, m.conversation_id)
    docs = await ctx.messages.since(conv["_id"], m.after_seq, m.limit)
    return {"ok": True, "messages": [wire(d) for d in docs], "state": conv["state"],
            "state_info": await ctx.queues.state_info(conv), "conversation": conversation_card(conv),
            "has_more": len(docs) == m.limit}


async def conversations(ctx: AppContext, call: Call, _: None) -> dict:
    """The caller's open conversations (to rebuild the pane after a reconnect)."""
    docs = await ctx.conversations.of_agent(call.principal.id)
    return {"ok": True, "conversations": [conversation_card(d) for d in docs]}


async def queues(ctx: AppContext, call: Call, _: None) -> dict:
    return {"ok": True, "queues": await ctx.queues.stats(list(call.principal.departments))}


async def transfer(ctx: AppContext, call: Call, m: s.TransferIn) -> dict:
    conv = await mine(ctx, call, m.conversation_id)
    updated = await ctx.lifecycle.transfer(conv, call.principal, department=m.department,
                                           agent_id=None if m.department else m.agent, note=m.note)
    return {"ok": True, "state": updated["state"]}


async def escalate(ctx: AppContext, call: Call, m: s.EscalateIn) -> dict:
    conv = await mine(ctx, call, m.conversation_id)
    order, _ = await ctx.lifecycle.escalate(conv, call.principal, m.summary)
    return {"ok": True, "ticket": ticket_wire(order), "state": "escalated"}


async def close(ctx: AppContext, call: Call, m: s.CloseIn) -> dict:
    conv = await mine(ctx, call, m.conversation_id)
    await ctx.lifecycle.close_by_staff(conv, call.principal, m.resolved, m.kb_suggestion)
    return {"ok": True, "state": "closed"}


async def handback(ctx: AppContext, call: Call, m: s.ConversationRef) -> dict:
    conv = await mine(ctx, call, m.conversation_id)
    if await ctx.lifecycle.handback(conv, by(call)) is None:
        raise ApiError(409, "invalid_state")
    return {"ok": True, "state": "bot"}


async def typing(ctx: AppContext, call: Call, m: s.TypingIn) -> dict:
    conv = await mine(ctx, call, m.conversation_id)
    p = call.principal
    await ctx.delivery.to_conversation(conv, "typing", {
        "conversation_id": conv["_id"], "who": {"role": "agent", "id": p.id, "name": p.name}, "on": m.on},
        skip_sid=call.sid)
    return {"ok": True}


async def read(ctx: AppContext, call: Call, m: s.ReadIn) -> dict:
    conv = await mine(ctx, call, m.conversation_id)
    await ctx.messaging.mark_read(conv, {"role": "agent", "id": call.principal.id}, m.seq, skip_sid=call.sid)
    return {"ok": True}


EVENTS = (
    Event("presence", presence, s.PresenceIn),
    Event("message", message, s.StaffMessageIn),
    Event("sync", sync, s.SyncIn, cost=0.5),
    Event("conversations", conversations, cost=0.5),
    Event("queues", queues, cost=0.5),
    Event("transfer", transfer, s.TransferIn),
    Event("escalate", escalate, s.EscalateIn),
    Event("close", close, s.CloseIn),
    Event("handback", handback, s.ConversationRef),
    Event("typing", typing, s.TypingIn, cost=0.2),
    Event("read", read, s.ReadIn, cost=0.2),
)


def register(sio: socketio.AsyncServer, ctx: AppContext) -> None:
    """Connection handling and the events of `/agent`, supervisors' included."""
    sio.on("connect", namespace=NS)(partial(connect, ctx))
    sio.on("disconnect", namespace=NS)(partial(disconnect, ctx))
    register_events(sio, ctx, NS, EVENTS + supervisor.EVENTS)

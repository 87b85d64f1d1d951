"""Supervisor events on `/agent`: watch a conversation, force a handoff, reassign, the overview."""

from __future__ import annotations

from bridge.context import AppContext
from bridge.domain.conversations import can_access, conversation_card
from bridge.infra import rooms
from bridge.transport import schemas as s
from bridge.transport.sio.router import Call, Event
from core.errors import ApiError

SUPERVISORS = ("supervisor", "admin")


async def supervised(ctx: AppContext, call: Call, conversation_id: str) -> dict:
    """A conversation of the supervisor's departments; refused otherwise."""
    conv = await ctx.conversations.get(conversation_id)
    if call.principal.role not in SUPERVISORS or not can_access(call.principal, conv):
        raise ApiError(403, "forbidden")
    return conv


async def watch(ctx: AppContext, call: Call, m: s.WatchIn) -> dict:
    conv = await supervised(ctx, call, m.conversation_id)
    room = rooms.watch(conv["_id"])
    if m.on:
        await ctx.sio.enter_room(call.sid, room, namespace=call.namespace)
    else:
        await ctx.sio.leave_room(call.sid, room, namespace=call.namespace)
    return {"ok": True, "conversation": conversation_card(conv)}


async def force_handoff(ctx: AppContext, call: Call, m: s.ConversationRef) -> dict:
    conv = await supervised(ctx, call, m.conversation_id)
    if conv["state"] != "bot":
        raise ApiError(409, "invalid_state")
    updated = await ctx.lifecycle.handoff(conv, {"role": call.principal.role, "id": call.principal.id}, "supervisor")
    return {"ok": True, "state": (updated or conv)["state"]}


async def reassign(ctx: AppContext, call: Call, m: s.TransferIn) -> dict:
    conv = await supervised(ctx, call, m.conversation_id)
    updated = await ctx.lifecycle.transfer(conv, call.principal, department=m.department, agent_id=m.agent,
                                           note=m.note, check_target=False)
    return {"ok": True, "state": updated["state"]}


async def supervise(ctx: AppContext, call: Call, _: None) -> dict:
    """Open conversations of the supervisor's departments, and agents with their load."""
    p = call.principal
    convs = await ctx.conversations.open_for(p)
    agents = await ctx.assignment.staff_for(p)
    return {"ok": True, "conversations": [conversation_card(c) for c in convs if c.get("department")],
            "agents": [{"id": a["_id"], "name": a["name"], "status": a.get("status", "offline"),
                        "active": a.get("active", 0), "capacity": a.get("capacity", 5),
                        "departments": a.get("departments", [])} for a in agents],
            "queues": await ctx.queues.stats_for(p)}


EVENTS = (
    Event("watch", watch, s.WatchIn, roles=SUPERVISORS),
    Event("force_handoff", force_handoff, s.ConversationRef, roles=SUPERVISORS),
    Event("reassign", reassign, s.TransferIn, roles=SUPERVISORS),
    Event("supervise", supervise, cost=0.5, roles=SUPERVISORS),
)

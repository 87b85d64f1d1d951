"""Namespace `/agent`: agents and supervisors in the web pane."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from bridge.domain.auth import AuthError, Principal
from bridge.domain.conversations import can_access, conversation_card
from bridge.domain.escalation import ticket_wire
from bridge.infra.message_store import wire
from bridge.infra.metrics import CONNECTIONS
from bridge.transport import schemas as s
from bridge.transport.sio.router import EventRouter
from bridge.transport.sio.user import attach_media, msg_ack, state_payload
from core.clock import now
from core.errors import MESSAGES, ApiError

log = logging.getLogger("bangban.agent")
NS = "/agent"
SUPERVISORS = ("supervisor", "admin")


def register(sio: socketio.AsyncServer, ctx) -> None:
    r = EventRouter(sio, ctx, NS)

    @sio.on("connect", namespace=NS)
    async def connect(sid: str, environ: dict, auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            p = ctx.tokens.verify(token)
        except AuthError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                MESSAGES[exc.code], {"code": exc.code, "reason": exc.reason}) from None
        if p.role not in ("agent", "supervisor", "admin"):
            raise socketio.exceptions.ConnectionRefusedError(MESSAGES["forbidden"], {"code": "forbidden"})
        agent = await ctx.store.agents.find_one({"_id": p.id})
        if agent is None or agent.get("disabled"):
            raise socketio.exceptions.ConnectionRefusedError(MESSAGES["account_disabled"],
                                                             {"code": "account_disabled"})
        await sio.save_session(sid, {"principal": p}, namespace=NS)
        await sio.enter_room(sid, f"a:{p.id}", namespace=NS)
        for dep in p.departments:
            await sio.enter_room(sid, f"d:{dep}", namespace=NS)
            if p.role in SUPERVISORS:
                await sio.enter_room(sid, f"sup:{dep}", namespace=NS)
        await ctx.presence.connected(sid, p.id)
        CONNECTIONS.labels(NS).inc()

    @sio.on("disconnect", namespace=NS)
    async def disconnect(sid: str, *args: Any) -> None:
        ctx.limiter.forget(f"{NS}:{sid}")
        p = await ctx.sessions.principal(sid, NS)
        if p is not None:
            CONNECTIONS.labels(NS).dec()
            await ctx.presence.disconnected(sid, p.id)

    async def mine(p: Principal, conversation_id: str) -> dict:
        conv = await ctx.conversations.get(conversation_id)
        if not can_access(p, conv):
            raise ApiError(403, "forbidden")
        return conv

    @r.on("presence", s.PresenceIn)
    async def presence(sid: str, p: Principal, m: s.PresenceIn) -> dict:
        agent = await ctx.presence.set_status(p.id, m.status)
        if m.status == "online":
            for dep in agent.get("departments", []):
                await ctx.assignment.dispatch(dep)
            agent = await ctx.store.agents.find_one({"_id": p.id})
        return {"ok": True, "status": agent["status"], "capacity": agent.get("capacity", 5),
                "active": agent.get("active", 0)}

    @r.on("message", s.MessageIn)
    async def message(sid: str, p: Principal, m: s.MessageIn) -> dict:
        if m.conversation_id is None:
            raise ApiError(400, "invalid_payload", "缺少会话编号。")
        if m.text and len(m.text) > ctx.settings.max_text_len:
            raise ApiError(400, "text_too_long", max_len=ctx.settings.max_text_len)
        conv = await ctx.conversations.get(m.conversation_id)
        allowed = can_access(p, conv)
        if not allowed or conv["state"] not in ("with_agent", "escalated"):
            first = await ctx.messages.find_by_client_id(p.id, m.client_msg_id)
            if first is not None and first["conversation_id"] == m.conversation_id:
                return msg_ack(first)  # a resend after the conversation moved on
            raise ApiError(403, "forbidden") if not allowed else ApiError(409, "invalid_state")
        if m.text:
            phrase = ctx.banned.find(m.text)
            if phrase:
                await ctx.store.audit.insert_one({"kind": "forbidden_words", "ts": now(), "agent": p.id,
                                                  "conversation_id": conv["_id"], "phrase": phrase,
                                                  "text": m.text[:500], "department": conv.get("department")})
                await ctx.delivery.to_supervisors(conv.get("department") or "", "alert", {
                    "kind": "forbidden_words", "agent": {"id": p.id, "name": p.name},
                    "conversation_id": conv["_id"], "phrase": phrase})
                raise ApiError(400, "forbidden_words", f"消息中含有服务禁语“{phrase}”，请修改后再发送。",
                               phrase=phrase)
        media = await attach_media(ctx, conv["_id"], m.media_id, m.type) if m.type != "text" else None
        sender = {"role": "agent", "id": p.id, "name": p.name}
        doc, created = await ctx.messages.append(conv["_id"], sender, m.type, m.text or "",
                                                 client_msg_id=m.client_msg_id, media_id=m.media_id, media=media)
        if created:
            # deliver first: the user should not wait for the first-response bookkeeping
            await ctx.delivery.to_conversation(conv, "message", wire(doc), skip_sid=sid)
            agent = conv.get("agent")
            if conv.get("first_response_at") is None and agent and agent["id"] == p.id:
                await ctx.conversations.update(
                    conv["_id"], {"first_response_at": None, "assigned_at": conv.get("assigned_at")},
                    {"$set": {"first_response_at": doc["ts"]}, "$unset": {"fr_pending": ""}})
        return {k: v for k, v in msg_ack(doc).items()}

    @r.on("sync", s.SyncIn, cost=0.5)
    async def sync(sid: str, p: Principal, m: s.SyncIn) -> dict:
        conv = await mine(p, m.conversation_id)
        docs = await ctx.messages.since(conv["_id"], m.after_seq, m.limit)
        return {"ok": True, "messages": [wire(d) for d in docs], "state": conv["state"],
                "state_info": await state_payload(ctx, conv), "conversation": conversation_card(conv),
                "has_more": len(docs) == m.limit}

    @r.on("conversations", cost=0.5)
    async def conversations(sid: str, p: Principal, _: None) -> dict:
        """The caller's open conversations (to rebuild the pane after a reconnect)."""
        docs = await ctx.store.conversations.find(
            {"agent.id": p.id, "state": {"$in": ["with_agent", "escalated"]}}, sort=[("assigned_at", 1)]
        ).to_list(None)
        return {"ok": True, "conversations": [conversation_card(d) for d in docs]}

    @r.on("queues", cost=0.5)
    async def queues(sid: str, p: Principal, _: None) -> dict:
        return {"ok": True, "queues": await ctx.queues.stats(list(p.departments))}

    @r.on("transfer", s.TransferIn)
    async def transfer(sid: str, p: Principal, m: s.TransferIn) -> dict:
        conv = await mine(p, m.conversation_id)
        by = {"role": p.role, "id": p.id}
        if m.department:
            if m.department not in ctx.catalogue.departments:
                raise ApiError(400, "unknown_department")
            updated = await ctx.lifecycle.transfer_department(conv, by, m.department, m.note)
        else:
            target = await ctx.store.agents.find_one({"_id": m.agent, "disabled": {"$ne": True}})
            if target is None:
                raise ApiError(400, "unknown_agent")
            if target["_id"] == p.id:
                raise ApiError(400, "invalid_payload", "不能转给自己。")
            updated = await ctx.lifecycle.transfer_agent(conv, by, m.agent, m.note)
            if updated is None:
                raise ApiError(409, "no_capacity", "对方不在线或接待量已满。")
        if updated is None:
            raise ApiError(409, "invalid_state")
        return {"ok": True, "state": updated["state"]}

    @r.on("escalate", s.EscalateIn)
    async def escalate(sid: str, p: Principal, m: s.EscalateIn) -> dict:
        conv = await mine(p, m.conversation_id)
        if conv["state"] != "with_agent":
            raise ApiError(409, "invalid_state")
        order = await ctx.escalation.create(conv, {"role": p.role, "id": p.id, "name": p.name}, m.summary)
        updated = await ctx.conversations.transition(
            conv["_id"], ("with_agent",), {"state": "escalated", "escalated": True, "ticket": order["_id"],
                                            "escalated_at": now()},
            event="escalated", by={"role": p.role, "id": p.id}, detail={"ticket": order["_id"]})
        if updated is None:
            await ctx.store.work_orders.update_one({"_id": order["_id"]}, {"$set": {
                "delivery.state": "cancelled", "status": "cancelled"}})
            raise ApiError(409, "invalid_state")
        await ctx.assignment.release(p.id)
        await ctx.conversations.notice(
            updated, f"您的问题已转交12345市民服务热线处理，工单号{order['_id']}。处理进展会在这里通知您。",
            meta={"event": "escalated", "ticket": order["_id"]}, )
        await ctx.conversations.publish_state(updated)
        await ctx.escalation.deliver_due()
        return {"ok": True, "ticket": ticket_wire(order), "state": "escalated"}

    @r.on("close", s.CloseIn)
    async def close(sid: str, p: Principal, m: s.CloseIn) -> dict:
        conv = await mine(p, m.conversation_id)
        if conv["state"] == "closed":
            return {"ok": True, "state": "closed"}
        updated = await ctx.lifecycle.close(conv, {"role": p.role, "id": p.id}, m.resolved,
                                            from_states=("with_agent", "escalated"))
        if updated is None:
            raise ApiError(409, "invalid_state")
        if m.kb_suggestion is not None and m.resolved:
            await ctx.kb_loop.draft_from_conversation(updated, p, m.kb_suggestion)
        if not m.resolved and not updated.get("escalated"):
            question = (updated.get("summary") or {}).get("question") or ""
            if question:
                await ctx.unanswered.record(question, updated.get("matter"), updated["_id"])
        return {"ok": True, "state": "closed"}

    @r.on("handback", s.ConversationRef)
    async def handback(sid: str, p: Principal, m: s.ConversationRef) -> dict:
        conv = await mine(p, m.conversation_id)
        updated = await ctx.lifecycle.handback(conv, {"role": p.role, "id": p.id})
        if updated is None:
            raise ApiError(409, "invalid_state")
        return {"ok": True, "state": "bot"}

    @r.on("typing", s.TypingIn, cost=0.2)
    async def typing(sid: str, p: Principal, m: s.TypingIn) -> dict:
        conv = await mine(p, m.conversation_id)
        await ctx.delivery.to_conversation(conv, "typing", {
            "conversation_id": conv["_id"], "who": {"role": "agent", "id": p.id, "name": p.name}, "on": m.on},
            skip_sid=sid)
        return {"ok": True}

    @r.on("read", s.ReadIn, cost=0.2)
    async def read(sid: str, p: Principal, m: s.ReadIn) -> dict:
        conv = await mine(p, m.conversation_id)
        await ctx.delivery.to_conversation(conv, "read", {
            "conversation_id": conv["_id"], "who": {"role": "agent", "id": p.id}, "seq": m.seq}, skip_sid=sid)
        return {"ok": True}

    # --- supervisors -------------------------------------------------------
    async def supervised(p: Principal, conversation_id: str) -> dict:
        conv = await ctx.conversations.get(conversation_id)
        if p.role not in SUPERVISORS or not can_access(p, conv):
            raise ApiError(403, "forbidden")
        return conv

    @r.on("watch", s.WatchIn, roles=SUPERVISORS)
    async def watch(sid: str, p: Principal, m: s.WatchIn) -> dict:
        conv = await supervised(p, m.conversation_id)
        if m.on:
            await sio.enter_room(sid, f"w:{conv['_id']}", namespace=NS)
        else:
            await sio.leave_room(sid, f"w:{conv['_id']}", namespace=NS)
        return {"ok": True, "conversation": conversation_card(conv)}

    @r.on("force_handoff", s.ConversationRef, roles=SUPERVISORS)
    async def force_handoff(sid: str, p: Principal, m: s.ConversationRef) -> dict:
        conv = await supervised(p, m.conversation_id)
        if conv["state"] != "bot":
            raise ApiError(409, "invalid_state")
        updated = await ctx.lifecycle.handoff(conv, {"role": p.role, "id": p.id}, "supervisor")
        return {"ok": True, "state": (updated or conv)["state"]}

    @r.on("reassign", s.TransferIn, roles=SUPERVISORS)
    async def reassign(sid: str, p: Principal, m: s.TransferIn) -> dict:
        conv = await supervised(p, m.conversation_id)
        by = {"role": p.role, "id": p.id}
        if m.agent:
            updated = await ctx.lifecycle.transfer_agent(conv, by, m.agent, m.note)
        elif m.department not in ctx.catalogue.departments:
            raise ApiError(400, "unknown_department")
        else:
            updated = await ctx.lifecycle.transfer_department(conv, by, m.department, m.note)
        if updated is None:
            raise ApiError(409, "invalid_state")
        return {"ok": True, "state": updated["state"]}

    @r.on("supervise", cost=0.5, roles=SUPERVISORS)
    async def supervise(sid: str, p: Principal, _: None) -> dict:
        """Open conversations of the supervisor's departments, and agents with their load."""
        deps = list(p.departments)
        q: dict[str, Any] = {"state": {"$in": ["bot", "queued", "with_agent", "escalated"]}}
        aq: dict[str, Any] = {"role": {"$in": ["agent", "supervisor"]}}
        if "*" not in deps and p.role != "admin":
            q["department"] = {"$in": deps}
            aq["departments"] = {"$in": deps}
        convs = await ctx.store.conversations.find(q, sort=[("created_at", -1)], limit=500).to_list(None)
        agents = await ctx.store.agents.find(aq, {"password_hash": 0}).to_list(None)
        return {"ok": True, "conversations": [conversation_card(c) for c in convs if c.get("department")],
                "agents": [{"id": a["_id"], "name": a["name"], "status": a.get("status", "offline"),
                            "active": a.get("active", 0), "capacity": a.get("capacity", 5),
                            "departments": a.get("departments", [])} for a in agents],
                "queues": await ctx.queues.stats(deps if p.role != "admin" else None)}

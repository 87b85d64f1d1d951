"""Conversation lifecycle: handoff to humans, requeue, transfer, escalate, handback, close.

Every transition is one guarded write (`Conversations.transition`); a transition that loses a race
returns None and changes nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bridge.domain.assignment import Assignment
from bridge.domain.auth import Principal
from bridge.domain.citizen_limits import CitizenLimits
from bridge.domain.conversations import Conversations
from bridge.domain.escalation import Escalation
from bridge.domain.handoff_summary import summary_of
from bridge.domain.kb_loop import KbLoop
from bridge.domain.messaging import Messaging
from bridge.domain.queue_promise import left_message_text, promise_fields, serving_text
from bridge.domain.queues import Queues, queue_key
from bridge.domain.unanswered import Unanswered
from bridge.infra.delivery import Delivery
from bridge.infra.message_store import MessageStore
from core.catalogue import Catalogue
from core.clock import now
from core.errors import ApiError
from core.workcal import HelpStatus

log = logging.getLogger("bangban.lifecycle")


class Lifecycle:
    def __init__(self, conversations: Conversations, messages: MessageStore, messaging: Messaging,
                 queues: Queues, assignment: Assignment, delivery: Delivery, escalation: Escalation,
                 kb_loop: KbLoop, unanswered: Unanswered, catalogue: Catalogue) -> None:
        self.conversations = conversations
        self.messages = messages
        self.messaging = messaging
        self.queues = queues
        self.assignment = assignment
        self.delivery = delivery
        self.escalation = escalation
        self.kb_loop = kb_loop
        self.unanswered = unanswered
        self.catalogue = catalogue
        # called with (conversation_id, reason) when a conversation closes, moves or goes back to the bot,
        # e.g. by media to stop co-browse sessions and hang up calls
        self.ended_listeners: list[Callable[[str, str], Awaitable[None]]] = []
        self.limits: CitizenLimits | None = None  # per-citizen handoff cap (bound by the composition root)
        # whether the citizen of a conversation can be notified on their channel (bound by notifications)
        self.can_notify: Callable[[dict], Awaitable[bool]] | None = None

    async def _ended(self, conversation_id: str, reason: str) -> None:
        for listener in self.ended_listeners:
            try:
                await listener(conversation_id, reason)
            except Exception:  # a listener's failure must not undo the state change
                log.exception("ended listener failed", extra={"conversation_id": conversation_id})

    async def summary_from_history(self, conv: dict) -> dict[str, Any]:
        """A handoff summary built from the last messages (when the bot gave none)."""
        return await summary_of(conv, self.messages)

    async def handoff(self, conv: dict, by: dict, reason: str, summary: dict | None = None) -> dict | None:
        """Move a bot conversation to its department's queue; assign at once if an agent is free."""
        summary = summary or await self.summary_from_history(conv)
        matter = summary.get("matter") or conv.get("matter")
        if matter not in self.catalogue.matters:
            matter = None
        scope = summary.get("scope") or conv.get("scope")
        department = self.catalogue.route(matter, scope)
        hours = self.queues.hours(department)
        t = now()
        fields = {"state": "queued", "department": department, "matter": matter, "scope": scope,
                  "summary": {**summary, "reason": reason}, "queued_at": t,
                  "queue_key": queue_key(t, False, conv["_id"]), "handed_off": True, "handoff_at": t,
                  **promise_fields(hours)}
        detail = {"reason": reason, "department": department}
        meta = {"event": "handed_off", "department": department, "left_message": not hours.open}
        serving = serving_text(self.catalogue.departments[department].name)
        if hours.open:  # out of hours a message is left, even with an agent online (the one promise)
            direct = await self.assignment.claim_handoff(conv, fields, by, detail, (serving, meta))
            if direct:
                return direct
        updated = await self.conversations.transition(conv["_id"], ("bot",), fields, event="handoff", by=by,
                                                      detail=detail)
        if updated is None:
            return None
        text = await self._promise_text(updated, hours, serving)
        await self.messaging.notice(updated, text, meta=meta)
        if not await self.assignment.dispatch(department):
            await self.queues.notify(department)
        return await self.conversations.get(conv["_id"])

    async def _promise_text(self, conv: dict, hours: HelpStatus, serving: str) -> str:
        """`serving` within help hours, else the one out-of-hours message (queue_promise.py)."""
        if hours.open:
            return serving
        notify = bool(self.can_notify and await self.can_notify(conv))
        return left_message_text(self.catalogue.departments[conv["department"]].name, hours.next_open, notify)

    async def requeue(self, conv: dict, by: dict, reason: str, front: bool = True) -> dict | None:
        """Put an agent's conversation back at the front of its queue (agent gone, reassign)."""
        agent = conv.get("agent")
        t = now()
        updated = await self.conversations.transition(
            conv["_id"], ("with_agent",),
            {"state": "queued", "agent": None, "queued_at": conv.get("queued_at") or t,
             "queue_key": queue_key(t, front, conv["_id"])},
            event="requeued", by=by, detail={"reason": reason, "from_agent": agent and agent["id"]},
            extra_filter={"agent.id": agent["id"]} if agent else None,
        )
        if updated is None:
            return None
        if agent:
            await self.assignment.release(agent["id"])
            await self.delivery.to_staff(agent["id"], "unassigned",
                                                    {"conversation_id": conv["_id"], "reason": reason})
        await self.messaging.notice(updated, "正在为您重新安排帮办人员，请稍候。",
                                    meta={"event": "requeued", "reason": reason})
        await self.assignment.dispatch(updated["department"])
        await self.queues.notify(updated["department"])
        return await self.conversations.get(conv["_id"])

    async def transfer_department(self, conv: dict, by: dict, department: str, note: str) -> dict | None:
        t = now()
        agent = conv.get("agent")
        hours = self.queues.hours(department)  # the promise follows the new department's hours
        updated = await self.conversations.transition(
            conv["_id"], ("with_agent", "queued"),
            {"state": "queued", "agent": None, "department": department, "queued_at": t,
             "queue_key": queue_key(t, True, conv["_id"]), "transfer_note": note, **promise_fields(hours)},
            event="transferred", by=by, detail={"department": department, "note": note},
        )
        if updated is None:
            return None
        if agent:
            await self.assignment.release(agent["id"])
            await self.delivery.to_staff(agent["id"], "unassigned",
                                                    {"conversation_id": conv["_id"], "reason": "transferred"})
        await self._ended(conv["_id"], "transferred")
        name = self.catalogue.departments[department].name
        text = await self._promise_text(updated, hours, f"您的咨询已转至{name}，请稍候。")
        await self.messaging.notice(updated, text, meta={"event": "transferred", "department": department, "note": note,
                                                        "left_message": not hours.open})
        await self.assignment.dispatch(department)
        await self.queues.notify(department)
        if conv.get("department") and conv["department"] != department:
            await self.queues.notify(conv["department"])
        return await self.conversations.get(conv["_id"])

    async def transfer_agent(self, conv: dict, by: dict, agent_id: str, note: str) -> dict | None:
        old = conv.get("agent")
        updated = await self.assignment.assign_to_agent(conv, agent_id, by, ("with_agent", "queued"))
        if updated is None:
            return None
        await self.conversations.set_fields(conv["_id"], {"transfer_note": note})
        await self._ended(conv["_id"], "transferred")
        if old and old["id"] != agent_id:
            await self.assignment.release(old["id"])
            await self.delivery.to_staff(old["id"], "unassigned",
                                                    {"conversation_id": conv["_id"], "reason": "transferred"})
        if conv["state"] == "queued" and conv.get("department"):
            await self.queues.notify(conv["department"])
        return updated

    async def handback(self, conv: dict, by: dict) -> dict | None:
        if conv.get("channel") == "phone":
            return None  # a caller on the phone cannot be handed to the chat bot
        agent = conv.get("agent")
        updated = await self.conversations.transition(
            conv["_id"], ("with_agent", "queued"), {"state": "bot", "agent": None},
            event="handback", by=by,
        )
        if updated is None:
            return None
        if agent and conv["state"] == "with_agent":
            await self.assignment.release(agent["id"])
        await self._ended(conv["_id"], "handback")
        await self.messaging.notice(updated, "已为您转回智能客服小申，有问题可以继续提问。",
                                    meta={"event": "handback"})
        await self.conversations.publish_state(updated)
        if conv.get("department"):
            await self.queues.notify(conv["department"])
            await self.assignment.dispatch(conv["department"])
        return updated

    async def close(self, conv: dict, by: dict, resolved: bool | None, *, from_states: tuple[str, ...],
                    extra: dict | None = None) -> dict | None:
        agent = conv.get("agent")
        fields = {"state": "closed", "closed_at": now(), "resolved": resolved, **(extra or {})}
        updated = await self.conversations.transition(
            conv["_id"], from_states, fields, event="closed", by=by, detail={"resolved": resolved},
        )
        if updated is None:
            return None
        if agent and conv["state"] == "with_agent":
            await self.assignment.release(agent["id"])
        await self._ended(conv["_id"], "conversation_closed")
        rate = ["bot", "agent"] if updated.get("served_by") else ["bot"]
        await self.messaging.notice(updated, "本次服务已结束，请您对本次服务进行评价。",
                                    meta={"event": "closed", "rate": rate, "resolved": resolved})
        await self.conversations.publish_state(updated)
        if conv["state"] == "queued" and conv.get("department"):
            await self.queues.notify(conv["department"])
        if agent and conv.get("department"):
            await self.assignment.dispatch(conv["department"])
        return updated

    async def request_human(self, conv: dict, by: dict, reason: str) -> dict:
        """The user asks for a human: hand a bot conversation off; the conversation afterwards."""
        if conv["state"] == "closed":
            raise ApiError(409, "conversation_closed")
        if conv["state"] != "bot":
            return conv
        if by.get("role") == "user" and self.limits is not None:
            await self.limits.handoff(by["id"])
        return await self.handoff(conv, by, reason) or await self.conversations.get(conv["_id"])

    async def transfer(self, conv: dict, by: Principal, *, department: str | None, agent_id: str | None,
                       note: str, check_target: bool = True) -> dict:
        """Transfer to another department's queue or straight to an agent; refused with ApiError."""
        who = {"role": by.role, "id": by.id}
        if agent_id:
            if check_target:
                target = await self.assignment.agent(agent_id)
                if target is None:
                    raise ApiError(400, "unknown_agent")
                if target["_id"] == by.id:
                    raise ApiError(400, "invalid_payload", "不能转给自己。")
            updated = await self.transfer_agent(conv, who, agent_id, note)
            if updated is None and check_target:
                raise ApiError(409, "no_capacity", "对方不在线或接待量已满。")
        else:
            if department not in self.catalogue.departments:
                raise ApiError(400, "unknown_department")
            updated = await self.transfer_department(conv, who, department, note)
        if updated is None:
            raise ApiError(409, "invalid_state")
        return updated

    async def escalate(self, conv: dict, by: Principal, summary: str) -> tuple[dict, dict]:
        """Hand an agent's conversation to the 12345 hotline: (work order, conversation).

        The work order is stored first; it is cancelled when the transition loses a race.
        """
        if conv["state"] != "with_agent":
            raise ApiError(409, "invalid_state")
        order = await self.escalation.create(conv, {"role": by.role, "id": by.id, "name": by.name}, summary)
        updated = await self.conversations.transition(
            conv["_id"], ("with_agent",), {"state": "escalated", "escalated": True, "ticket": order["_id"],
                                            "escalated_at": now()},
            event="escalated", by={"role": by.role, "id": by.id}, detail={"ticket": order["_id"]})
        if updated is None:
            await self.escalation.cancel(order["_id"])
            raise ApiError(409, "invalid_state")
        await self.assignment.release(by.id)
        await self.messaging.notice(
            updated, f"您的问题已转交12345市民服务热线处理，工单号{order['_id']}。处理进展会在这里通知您。",
            meta={"event": "escalated", "ticket": order["_id"]})
        await self.conversations.publish_state(updated)
        await self.escalation.deliver_due()
        return order, updated

    async def close_by_staff(self, conv: dict, by: Principal, resolved: bool, kb_suggestion: str | None) -> dict:
        """Staff close a served conversation; a resolved one may leave a knowledge-base draft,
        an unresolved one that was not escalated records its question as unanswered."""
        if conv["state"] == "closed":
            return conv
        updated = await self.close(conv, {"role": by.role, "id": by.id}, resolved,
                                   from_states=("with_agent", "escalated"))
        if updated is None:
            raise ApiError(409, "invalid_state")
        if kb_suggestion is not None and resolved:
            await self.kb_loop.draft_from_conversation(updated, by, kb_suggestion)
        if not resolved and not updated.get("escalated"):
            question = (updated.get("summary") or {}).get("question") or ""
            if question:
                await self.unanswered.record(question, updated.get("matter"), updated["_id"])
        return updated

    async def end_by_user(self, conv: dict, by: dict) -> None:
        """The user ends the conversation in any open state; a bot conversation keeps the bot's verdict."""
        if conv["state"] != "closed":
            resolved = conv.get("bot_resolved") if conv["state"] == "bot" else None
            await self.close(conv, by, resolved, from_states=("bot", "queued", "with_agent", "escalated"),
                             extra={"ended_by": "user"})

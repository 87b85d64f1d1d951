"""What the agent pane shows of a call and keeps of it: the call card, the caller's earlier online
conversations (a verified citizen with the same number), and the notes of what was read to the caller.

The caller's number is shown whole only to the agent the call is assigned to (who may need to call back);
every other view, list, export and log has it masked (`phone.caller_masked`).
"""

from __future__ import annotations

from typing import Any

from bridge.domain.auth import Principal
from bridge.domain.conversations import Conversations
from bridge.domain.phone import call_public
from bridge.domain.timeline import Timeline
from core.clock import iso, now
from core.errors import ApiError

HISTORY = 10


def assigned_to(principal: Principal, conv: dict) -> bool:
    """Whether `principal` is the agent the call is assigned to now."""
    agent = conv.get("agent") or {}
    return agent.get("id") == principal.id and conv["state"] in ("with_agent", "escalated")


def note_wire(note: dict) -> dict[str, Any]:
    return {**note, "at": iso(note.get("at"))}


def history_item(conv: dict) -> dict[str, Any]:
    """One earlier conversation of the caller, as the call card lists it."""
    summary = conv.get("summary") or {}
    return {"id": conv["_id"], "channel": conv.get("channel"), "matter": conv.get("matter"),
            "department": conv.get("department"), "state": conv["state"], "resolved": conv.get("resolved"),
            "created_at": iso(conv.get("created_at")), "question": summary.get("question"),
            "ticket": conv.get("ticket")}


class PhoneCalls:
    def __init__(self, conversations: Conversations, timeline: Timeline) -> None:
        self.conversations = conversations
        self.timeline = timeline

    async def card(self, principal: Principal, conv: dict) -> dict[str, Any]:
        """The call card of `conv` for `principal` (who may read the conversation)."""
        if conv.get("channel") != "phone":
            raise ApiError(404, "not_a_call", "该会话不是电话咨询。")
        call = call_public(conv)
        mine = assigned_to(principal, conv)
        call["caller"] = conv.get("caller_number") if mine else call.get("caller_masked")
        citizen = conv.get("caller_citizen")
        history = []
        if citizen:
            earlier = await self.conversations.of_user(citizen, HISTORY + 5)
            history = [history_item(c) for c in earlier if c.get("channel") != "phone"][:HISTORY]
        return {"conversation_id": conv["_id"], "call": call, "caller_full": mine,
                "verified_citizen": bool(citizen), "history": history,
                "notes": [note_wire(n) for n in conv.get("phone_notes") or []]}

    async def add_note(self, principal: Principal, conv: dict, kind: str, text: str,
                       article_id: str | None, title: str | None) -> dict[str, Any]:
        """Keep a note on the call (`kb`: an answer read to the caller; `summary`); delivered to nobody."""
        if conv.get("channel") != "phone":
            raise ApiError(404, "not_a_call", "该会话不是电话咨询。")
        if not assigned_to(principal, conv):
            raise ApiError(403, "forbidden")
        note = {"kind": kind, "text": text, "article_id": article_id, "title": title,
                "by": {"id": principal.id, "name": principal.name}, "at": now()}
        await self.conversations.update(conv["_id"], {}, {"$push": {"phone_notes": note}})
        await self.timeline.add(conv["_id"], "kb_read" if kind == "kb" else "call_summary",
                                {"role": principal.role, "id": principal.id},
                                {"article_id": article_id} if kind == "kb" else None)
        return note_wire(note)

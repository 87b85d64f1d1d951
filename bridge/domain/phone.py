"""Phone calls join the desk through the call centre's CTI events (docs/cti.md).

`ringing` opens a conversation on the channel `phone`, queued in the department its line or IVR
choice names (the call centre's own queue rings the phones; the desk never dispatches a call);
`answered` gives it to the staff member who picked up; `transferred` moves it to another staff member
or department; `ended` records the hang-up: an answered call stays with its agent for the summary, the
outcome, a 12345 work order or a ledger entry (the chat's own flows), an unanswered one closes as
abandoned. Each (call id, event, seq) is handled once; a retry answers what the first one did.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from bridge.domain.assignment import Assignment
from bridge.domain.auth import Principal
from bridge.domain.conversations import Conversations, conversation_card
from bridge.domain.lifecycle import Lifecycle
from bridge.domain.phone_links import PhoneLinks, mask_number, normalize
from bridge.domain.phone_routing import out_of_hours, route_call
from bridge.domain.queues import Queues, queue_key
from bridge.infra.delivery import Delivery
from core import signatures
from core.catalogue import Catalogue
from core.clock import iso, now
from core.db import Store
from core.errors import ApiError

log = logging.getLogger("bangban.phone")
CTI = {"role": "cti", "id": "cti"}


@dataclass(frozen=True)
class CallEvent:
    """One CTI event as the webhook received it (validated by the transport)."""

    event: str  # ringing | answered | transferred | ended
    call_id: str
    line: str
    caller: str
    at: dt.datetime
    seq: int = 0
    ivr: str | None = None
    queue: str | None = None
    staff_id: str | None = None
    to_department: str | None = None
    reason: str | None = None


def aware(t: dt.datetime) -> dt.datetime:
    """`t` with its zone (the database returns UTC without one)."""
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def call_public(conv: dict) -> dict[str, Any]:
    """The call as every staff view shows it (caller number masked)."""
    p = conv.get("phone") or {}
    return {k: iso(v) if isinstance(v, dt.datetime) else v for k, v in p.items()}


class Phone:
    def __init__(self, store: Store, conversations: Conversations, lifecycle: Lifecycle, assignment: Assignment,
                 queues: Queues, delivery: Delivery, links: PhoneLinks, catalogue: Catalogue, secret: str) -> None:
        self.store = store
        self.conversations = conversations
        self.lifecycle = lifecycle
        self.assignment = assignment
        self.queues = queues
        self.delivery = delivery
        self.links = links
        self.catalogue = catalogue
        self.secret = secret

    async def check_signature(self, body: bytes, headers) -> str | None:
        """None for a fresh, correctly signed event (its nonce now spent), else the refusal code."""
        refused = signatures.check_request(self.secret, body, headers)
        if refused:
            return "stale_event" if refused == "stale_callback" else refused
        expires = now() + dt.timedelta(seconds=2 * signatures.MAX_AGE_S)
        try:  # the nonces of the 12345 callbacks' collection (TTL index), kept apart by a prefix
            await self.store.callback_nonces.insert_one({"_id": f"cti:{headers[signatures.NONCE]}",
                                                         "expires_at": expires})
        except DuplicateKeyError:
            return "replayed_event"
        return None

    async def handle(self, ev: CallEvent) -> dict[str, Any]:
        """Apply one event once; a repeat of (call id, event, seq) answers the first result, changing nothing."""
        key = f"{ev.call_id}:{ev.event}:{ev.seq}"
        try:
            await self.store.cti_events.insert_one({"_id": key, "event": {**asdict(ev), "caller": None},
                                                    "received_at": now()})
        except DuplicateKeyError:
            first = await self.store.cti_events.find_one({"_id": key})
            return {**(first or {}).get("result", {}), "duplicate": True}
        try:
            result = await getattr(self, f"_{ev.event}")(ev)
        except BaseException:
            await self.store.cti_events.delete_one({"_id": key})  # refused or failed: as if never received
            raise
        await self.store.cti_events.update_one({"_id": key}, {"$set": {"result": result}})
        log.info("cti event", extra={"call_id": ev.call_id, "cti_event": ev.event, "result": result})
        return {**result, "duplicate": False}

    async def _call(self, call_id: str) -> dict:
        link = await self.store.phone_calls.find_one({"_id": call_id})
        conv = await self.conversations.get(link["conversation_id"]) if link else None
        if conv is None:
            raise ApiError(404, "unknown_call", f"未知的通话：{call_id}")
        return conv

    async def _ringing(self, ev: CallEvent) -> dict[str, Any]:
        route = route_call(self.catalogue, ev.line, ev.ivr)
        closed = out_of_hours(route.department, ev.at, self.catalogue)
        if closed:
            return closed
        caller = normalize(ev.caller)
        user = Principal(id=f"caller:{ev.call_id}", role="user", name=f"来电 {mask_number(caller)}",
                         kind="caller", channel="phone")
        conv = self.conversations.new(user, route.matter)
        t = now()
        conv.update({
            "state": "queued", "department": route.department, "queued_at": t, "handed_off": True,
            "handoff_at": t, "queue_key": queue_key(t, False, conv["_id"]), "left_message": False,
            "summary": {"matter": route.matter, "scope": None, "question": None, "bot_answer": None,
                        "kb_article": None, "reason": "phone"},
            "caller_number": caller, "caller_citizen": await self.links.citizen_of(caller),
            "phone": {"call_id": ev.call_id, "line": ev.line, "line_name": route.line_name, "ivr": ev.ivr,
                      "queue": ev.queue, "caller_masked": mask_number(caller), "state": "ringing",
                      "ringing_at": ev.at, "answered_at": None, "ended_at": None, "talk_s": None,
                      "transfers": 0, "abandoned": False},
            "phone_notes": [],
        })
        try:
            await self.store.phone_calls.insert_one({"_id": ev.call_id, "conversation_id": conv["_id"]})
        except DuplicateKeyError:
            raise ApiError(409, "call_exists", f"通话{ev.call_id}已振铃。") from None
        await self.conversations.insert(conv)
        await self.queues.notify(route.department)
        return {"accepted": True, "conversation_id": conv["_id"], "department": route.department,
                "matter": route.matter}

    async def _staff(self, staff_id: str | None) -> dict:
        agent = await self.assignment.agent(staff_id or "")
        if agent is None or agent.get("role") not in ("agent", "supervisor"):
            raise ApiError(422, "unknown_staff", f"未知的帮办账号：{staff_id}")
        return agent

    async def _take(self, conv: dict, agent: dict) -> dict:
        """Give the call to `agent`, who picked it up whatever their chat capacity; release the previous one."""
        if conv["state"] == "with_agent" and (conv.get("agent") or {}).get("id") == agent["_id"]:
            return conv  # already theirs
        if not await self.assignment.reserve(agent["_id"], 1_000_000):
            await self.store.agents.update_one({"_id": agent["_id"]}, {"$inc": {"active": 1}})
        updated = await self.assignment.claim(conv, agent, CTI, from_states=("queued", "with_agent"))
        if updated is None:
            await self.assignment.release(agent["_id"])
            raise ApiError(409, "invalid_state", "通话已结束，不能再接听。")
        old = conv.get("agent") if conv["state"] == "with_agent" else None
        if old and old["id"] != agent["_id"]:
            await self.assignment.release(old["id"])
            await self.delivery.to_staff(old["id"], "unassigned", {"conversation_id": conv["_id"],
                                                                   "reason": "transferred"})
        if conv["state"] == "queued":
            await self.queues.notify(conv["department"])
        return updated

    async def _set_call(self, conv: dict, fields: dict[str, Any]) -> dict:
        await self.conversations.set_fields(conv["_id"], {f"phone.{k}": v for k, v in fields.items()})
        updated = await self.conversations.get(conv["_id"], fresh=True) or conv
        if updated.get("agent") and updated["state"] in ("with_agent", "escalated"):
            await self.delivery.to_staff(updated["agent"]["id"], "phone_call",
                                         {"conversation_id": conv["_id"], "call": call_public(updated),
                                          "conversation": conversation_card(updated)})
        return updated

    async def _answered(self, ev: CallEvent) -> dict[str, Any]:
        conv = await self._call(ev.call_id)
        agent = await self._staff(ev.staff_id)
        updated = await self._take(conv, agent)
        # the agent speaks at once: no first-response timer on a call
        await self.conversations.set_fields(conv["_id"], {"first_response_at": ev.at, "fr_pending": False})
        await self._set_call(updated, {"state": "talking", "answered_at": conv["phone"]["answered_at"] or ev.at})
        return {"accepted": True, "conversation_id": conv["_id"], "agent": agent["_id"]}

    async def _transferred(self, ev: CallEvent) -> dict[str, Any]:
        conv = await self._call(ev.call_id)
        transfers = conv["phone"].get("transfers", 0) + 1
        if ev.staff_id:
            agent = await self._staff(ev.staff_id)
            updated = await self._take(conv, agent)
            await self.conversations.set_fields(conv["_id"], {"first_response_at": ev.at, "fr_pending": False})
            await self._set_call(updated, {"state": "talking", "transfers": transfers})
            return {"accepted": True, "conversation_id": conv["_id"], "agent": agent["_id"]}
        department = ev.to_department or ""
        if department not in self.catalogue.departments:
            raise ApiError(422, "unknown_department", f"未知的部门：{department}")
        updated = await self.lifecycle.transfer_department(conv, CTI, department, "电话转接")
        if updated is None:
            raise ApiError(409, "invalid_state", "通话已结束，不能再转接。")
        await self._set_call(updated, {"state": "ringing", "transfers": transfers})
        return {"accepted": True, "conversation_id": conv["_id"], "department": department}

    async def _ended(self, ev: CallEvent) -> dict[str, Any]:
        conv = await self._call(ev.call_id)
        answered = conv["phone"].get("answered_at")
        talk = round((ev.at - aware(answered)).total_seconds()) if answered else None
        fields = {"state": "ended", "ended_at": ev.at, "talk_s": talk, "end_reason": ev.reason,
                  "abandoned": conv["state"] == "queued"}
        updated = await self._set_call(conv, fields)
        if conv["state"] == "queued":  # the caller hung up before anyone answered
            await self.lifecycle.close(updated, CTI, None, from_states=("queued",), extra={"ended_by": "caller"})
        return {"accepted": True, "conversation_id": conv["_id"], "abandoned": fields["abandoned"],
                "talk_s": talk}

"""The one send path: every message of the desk (user, staff, bot, system) goes through here.

Where a message goes once a client sends it — in this order, for every sender:

1. **validate**: text length, known matter, the conversation's access and state, the attachment
   (belongs to the conversation, matches the type; `ports.Attachments`), banned phrases for staff
   (audit record and supervisor alert, then refused). A refusal stores nothing.
2. **number and store**: `MessageStore.append` (per-conversation lock, gap-free seq, group commit;
   a resend with the same `client_msg_id` returns the first message and goes no further).
3. **deliver** to the conversation's participants on every process (`Delivery.to_conversation`:
   the user's devices, the assigned agent, watching supervisors), skipping the sending socket.
4. **follow-ups**: a user message in state `bot` starts a bot turn (`ports.BotTurns`); the assigned
   agent's first message records the first response; then every hook in `followups` (for example
   notifications) with (conversation, message).

The transport acks with the stored message when `from_user`/`from_staff` return, after step 4; the
bot turn itself runs on in the background. Bot replies (`bot_replies`), system notices (`notice`)
and read marks (`mark_read`) take the same way from step 2 on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from bridge.domain.answer_cards import AnswerCards
from bridge.domain.auth import Principal
from bridge.domain.banned import ServiceNorms
from bridge.domain.citizen_limits import CitizenLimits
from bridge.domain.conversations import Conversations, can_access
from bridge.domain.ports import Attachments, BotTurns
from bridge.infra.delivery import Delivery
from bridge.infra.message_store import MessageStore, wire
from core.catalogue import Catalogue
from core.clock import iso
from core.errors import ApiError

log = logging.getLogger("bangban.messaging")
SYSTEM = {"role": "system", "id": "system", "name": "系统消息"}
STAFF_STATES = ("with_agent", "escalated")
FollowUp = Callable[[dict, dict], Awaitable[None]]


@dataclass(frozen=True)
class Draft:
    """A message as a sender submits it (before validation)."""

    client_msg_id: str
    type: str = "text"
    text: str = ""
    conversation_id: str | None = None
    media_id: str | None = None
    matter: str | None = None
    kb_article: str | None = None  # staff: the knowledge-base article inserted (its cards go with the message)


def message_ack(doc: dict) -> dict[str, Any]:
    """The ack of a stored message (also of a resend: the first message's)."""
    return {"ok": True, "conversation_id": doc["conversation_id"], "seq": doc["seq"], "ts": iso(doc["ts"]),
            "id": doc["_id"], **({"cards": doc["cards"]} if doc.get("cards") else {})}


class Messaging:
    def __init__(self, messages: MessageStore, conversations: Conversations, delivery: Delivery,
                 attachments: Attachments, norms: ServiceNorms, catalogue: Catalogue, max_text_len: int) -> None:
        self.messages = messages
        self.conversations = conversations
        self.delivery = delivery
        self.attachments = attachments
        self.norms = norms
        self.catalogue = catalogue
        self.max_text_len = max_text_len
        self.bot: BotTurns | None = None  # bound by the composition root (the bot sends through here too)
        self.followups: list[FollowUp] = []
        self.limits: CitizenLimits | None = None  # per-citizen caps on new conversations (composition root)
        self.cards: AnswerCards | None = None  # cards of knowledge-base articles (composition root)

    # --- senders ---------------------------------------------------------------------------
    async def from_user(self, user: Principal, draft: Draft, skip_sid: str | None = None) -> dict:
        """Validate, store, deliver and follow up a user's message; the stored (or first) message."""
        self._check_text(draft)
        if draft.matter and draft.matter not in self.catalogue.matters:
            raise ApiError(400, "unknown_matter")
        sender = {"role": "user", "id": user.id, "name": user.name}
        if draft.conversation_id is None:
            conv, doc, created = await self._first_message(user, draft, sender)
        else:
            conv, doc, created = await self._next_message(user, draft, sender)
        if created:
            await self._deliver_and_follow_up(conv, doc, skip_sid)
        return doc

    async def from_staff(self, staff: Principal, draft: Draft, skip_sid: str | None = None) -> dict:
        """Validate, store, deliver and follow up a staff member's message; the stored (or first) message."""
        if draft.conversation_id is None:
            raise ApiError(400, "invalid_payload", "缺少会话编号。")
        self._check_text(draft)
        conv = await self.conversations.get(draft.conversation_id)
        allowed = can_access(staff, conv)
        if not allowed or conv["state"] not in STAFF_STATES:
            # a resend after the conversation moved on is still acknowledged
            refusal = ApiError(403, "forbidden") if not allowed else ApiError(409, "invalid_state")
            return await self._resend_or(staff, draft.client_msg_id, draft.conversation_id, refusal)
        await self.norms.check(staff, conv, draft.text)
        media = await self._attachment(conv, draft)
        sender = {"role": "agent", "id": staff.id, "name": staff.name}
        cards = await self.cards.for_article(draft.kb_article) if draft.kb_article and self.cards else None
        doc, created = await self.messages.append(conv["_id"], sender, draft.type, draft.text,
                                                  client_msg_id=draft.client_msg_id, media_id=draft.media_id,
                                                  media=media, cards=cards)
        if created:
            await self._deliver_and_follow_up(conv, doc, skip_sid)
        return doc

    async def bot_replies(self, conversation_id: str, sender: dict, user_msg: dict, replies: list[dict[str, Any]],
                          before_delivery: Callable[[], Awaitable[None]] | None = None) -> list[dict] | None:
        """Store the bot's replies to `user_msg` (one round trip) and deliver them.

        None when the bot is muted: a human took over while it was thinking.
        """
        conv = await self.conversations.get(conversation_id)
        if conv is None or conv["state"] != "bot":
            return None
        docs = await self.messages.append_many(
            conversation_id,
            [{"sender": sender, "type": "text", "text": r["text"], "buttons": r.get("buttons") or [],
              "meta": r["meta"], "reply_to": user_msg["_id"], **({"cards": r["cards"]} if r.get("cards") else {})}
             for r in replies],
        )
        if before_delivery is not None:
            await before_delivery()
        for doc in docs:
            await self._deliver_and_follow_up(conv, doc, None)
        return docs

    async def notice(self, conv: dict, text: str, meta: dict | None = None, buttons: list | None = None) -> dict:
        """Store and deliver a system message in the conversation."""
        doc, _ = await self.messages.append(conv["_id"], SYSTEM, "text", text, meta=meta, buttons=buttons)
        await self._deliver_and_follow_up(conv, doc, None)
        return doc

    async def notices(self, conv: dict, items: list[tuple[str, dict]]) -> list[dict]:
        """Store several system messages (text, meta) in one insert, then deliver them in order."""
        docs = await self.messages.append_many(
            conv["_id"], [{"sender": SYSTEM, "type": "text", "text": text, "meta": meta} for text, meta in items])
        for doc in docs:
            await self._deliver_and_follow_up(conv, doc, None)
        return docs

    async def mark_read(self, conv: dict, who: dict[str, Any], seq: int, skip_sid: str | None = None) -> None:
        """Record (for the user) and deliver a read mark."""
        if who["role"] == "user":
            await self.conversations.mark_user_read(conv["_id"], seq)
        await self.delivery.to_conversation(conv, "read", {"conversation_id": conv["_id"], "who": who, "seq": seq},
                                            skip_sid=skip_sid)

    # --- steps -----------------------------------------------------------------------------
    def _check_text(self, draft: Draft) -> None:
        if draft.text and len(draft.text) > self.max_text_len:
            raise ApiError(400, "text_too_long", max_len=self.max_text_len)

    async def _attachment(self, conv: dict, draft: Draft) -> dict | None:
        if draft.type == "text":
            return None
        return await self.attachments.describe(conv["_id"], draft.media_id or "", draft.type)

    async def _resend_or(self, sender: Principal, client_msg_id: str, conversation_id: str, refusal: ApiError) -> dict:
        first = await self.messages.find_by_client_id(sender.id, client_msg_id)
        if first is not None and first["conversation_id"] == conversation_id:
            return first
        raise refusal

    async def _first_message(self, user: Principal, draft: Draft, sender: dict) -> tuple[dict, dict, bool]:
        """A new conversation with its first message: (conversation, message, created).

        A resend of a first message (its ack was lost) is recognised without a read up front: its
        insert collides on (sender, client_msg_id), the conversation made for it is removed and the
        first message returned; within the caps it counts once more in the hourly quota, past them
        the refusal looks for the first message.
        """
        if draft.type != "text":
            return await self._first_resent(user, draft, ApiError(400, "invalid_payload", "请先用文字描述您的问题。"))
        if self.limits is not None:
            try:
                await self.limits.new_conversation(user.id)
            except ApiError as refusal:
                return await self._first_resent(user, draft, refusal)
        conv = self.conversations.new(user, draft.matter)
        if draft.matter:
            conv["department"] = self.catalogue.route(draft.matter)
        await self.conversations.insert(conv)
        try:
            doc, created = await self.messages.append(conv["_id"], sender, "text", draft.text,
                                                      client_msg_id=draft.client_msg_id, new_conversation=True,
                                                      bot_turn=self._turn_mark(conv, "text"))
        except DuplicateKeyError:
            doc, created = None, False
        if not created:  # the same message raced in from another device
            await self.conversations.delete(conv["_id"])
            doc = doc or await self.messages.find_by_client_id(user.id, draft.client_msg_id)
        return conv, doc, created

    async def _first_resent(self, user: Principal, draft: Draft, refusal: ApiError) -> tuple[dict, dict, bool]:
        """The first message of a resend refused as new, or the refusal."""
        first = await self.messages.find_by_client_id(user.id, draft.client_msg_id)
        if first is None:
            raise refusal
        return {}, first, False

    async def _next_message(self, user: Principal, draft: Draft, sender: dict) -> tuple[dict, dict, bool]:
        """A user's message in an existing conversation: (conversation, message, created)."""
        conv = await self.conversations.get(draft.conversation_id or "")
        if not can_access(user, conv):
            raise ApiError(403, "forbidden")
        if conv["state"] == "closed":
            closed = ApiError(409, "conversation_closed")
            return conv, await self._resend_or(user, draft.client_msg_id, conv["_id"], closed), False
        media = await self._attachment(conv, draft)
        doc, created = await self.messages.append(
            conv["_id"], sender, draft.type, draft.text, client_msg_id=draft.client_msg_id,
            media_id=draft.media_id, media=media, bot_turn=self._turn_mark(conv, draft.type))
        if created and draft.matter and not conv.get("matter"):
            await self.conversations.set_fields(conv["_id"], {"matter": draft.matter})
            conv["matter"] = draft.matter
        return conv, doc, created

    def _turn_mark(self, conv: dict, type_: str) -> dict | None:
        """The pending-turn mark stored with a user's text message the bot will answer (no extra write)."""
        if self.bot is None or type_ != "text" or conv.get("state") != "bot":
            return None
        return self.bot.turn_mark()

    async def _deliver_and_follow_up(self, conv: dict, doc: dict, skip_sid: str | None) -> None:
        # deliver first: the user should not wait for the bookkeeping
        await self.delivery.to_conversation(conv, "message", wire(doc), skip_sid=skip_sid)
        role = doc["sender"]["role"]
        if role == "user" and conv["state"] == "bot" and self.bot is not None:
            self.bot.start(conv, doc)
        elif role == "agent":
            await self._first_response(conv, doc)
        for hook in self.followups:
            try:
                await hook(conv, doc)
            except Exception:  # a follow-up's failure must not fail a stored, delivered message
                log.exception("message follow-up failed", extra={"conversation_id": conv["_id"]})

    async def _first_response(self, conv: dict, doc: dict) -> None:
        agent = conv.get("agent")
        if conv.get("first_response_at") is None and agent and agent["id"] == doc["sender"]["id"]:
            # grouped: the first replies of many new conversations arrive together
            await self.conversations.update_grouped(
                conv["_id"], {"first_response_at": None, "assigned_at": conv.get("assigned_at")},
                {"$set": {"first_response_at": doc["ts"]}, "$unset": {"fr_pending": ""}})

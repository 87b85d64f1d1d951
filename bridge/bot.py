"""Bot turns: user messages in state `bot` go to Rasa; replies are stored and delivered.

The bot is muted on the server side: replies are dropped when the conversation
left state `bot` while Rasa was thinking, and nothing is sent to Rasa outside it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from bridge.conversations import Conversations
from bridge.lifecycle import Lifecycle
from bridge.messages import MessageStore, wire
from bridge.metrics import BOT_TURN
from bridge.rasa_client import BotUnavailable, RasaClient
from bridge.unanswered import Unanswered

log = logging.getLogger("bangban.bot")
BOT = {"role": "bot", "id": "xiaoshen", "name": "小申"}
META_KEYS = ("intent", "confidence", "matter", "kb_article", "scope")
HANDOFF_BUTTON = {"title": "转人工", "payload": "/request_human"}
APOLOGY = "抱歉，小申暂时无法回答您的问题。您可以点击“转人工”，由帮办人员为您服务。"
MEDIA_REPLY = "小申暂时还看不懂图片和语音。如需帮助，可以用文字描述问题，或点击“转人工”。"


def normalise(item: dict[str, Any]) -> dict[str, Any]:
    """A Rasa REST output item as a message body (text, buttons, meta) plus control fields."""
    custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
    text = custom.get("text", item.get("text")) or ""
    buttons = custom.get("buttons", item.get("buttons")) or []
    buttons = [{"title": str(b.get("title", ""))[:40], "payload": str(b.get("payload", ""))[:200]}
               for b in buttons if isinstance(b, dict)]
    raw_meta = custom.get("meta") if isinstance(custom.get("meta"), dict) else {}
    meta = {k: raw_meta.get(k) for k in META_KEYS}
    meta["scope"] = meta["scope"] or "unknown"
    return {"text": str(text), "buttons": buttons, "meta": meta,
            "handoff": custom.get("handoff") if isinstance(custom.get("handoff"), dict) else None,
            "outcome": custom.get("outcome"), "question": custom.get("question")}


class Bot:
    def __init__(self, rasa: RasaClient, conversations: Conversations, messages: MessageStore,
                 lifecycle: Lifecycle, unanswered: Unanswered) -> None:
        self.rasa = rasa
        self.conversations = conversations
        self.messages = messages
        self.lifecycle = lifecycle
        self.unanswered = unanswered
        # one lock per conversation while a turn runs or waits; dropped when nobody holds it
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.last_turn_ms: float = 0.0

    async def turn(self, conv: dict, user_msg: dict) -> None:
        """Answer one user message; one turn at a time per conversation, in order."""
        lock = self._locks.get(conv["_id"])
        if lock is None:
            lock = self._locks[conv["_id"]] = asyncio.Lock()
        async with lock:
            try:
                await self._turn(conv, user_msg)
            except Exception:  # a failed turn must never kill the caller's task
                log.exception("bot turn failed", extra={"conversation_id": conv["_id"]})

    async def _turn(self, conv: dict, user_msg: dict) -> None:
        text = user_msg.get("text") or ""
        if user_msg["type"] != "text":
            await self._reply(conv, [{"text": MEDIA_REPLY, "buttons": [HANDOFF_BUTTON],
                                      "meta": {k: None for k in META_KEYS} | {"scope": "unknown"}}])
            return
        metadata = {"conversation_id": conv["_id"], "channel": conv.get("channel"),
                    "user_kind": conv["user"].get("kind"), "user_id": conv["user"]["id"],
                    "matter": conv.get("matter")}
        t0 = time.perf_counter()
        try:
            outputs = await self.rasa.turn(conv["_id"], text, metadata)
        except BotUnavailable as exc:
            log.warning("bot unavailable", extra={"conversation_id": conv["_id"], "error": str(exc)})
            if text.strip() == HANDOFF_BUTTON["payload"]:
                await self.lifecycle.handoff(conv, BOT, "user_request")
                return
            await self._reply(conv, [{"text": APOLOGY, "buttons": [HANDOFF_BUTTON],
                                      "meta": {k: None for k in META_KEYS} | {"scope": "unknown",
                                                                              "error": "bot_unavailable"}}])
            return
        self.last_turn_ms = (time.perf_counter() - t0) * 1000
        BOT_TURN.observe(self.last_turn_ms / 1000)
        replies = [normalise(o) for o in outputs if isinstance(o, dict)]
        # learn before delivering: once the user sees the reply, the conversation knows its matter and scope
        stored = await self._reply(conv, [r for r in replies if r["text"] or r["buttons"]],
                                   before_delivery=lambda: self._learn(conv, replies, text))
        if stored is None:
            return
        handoff = next((r["handoff"] for r in replies if r["handoff"]), None)
        if handoff:
            fresh = await self.conversations.get(conv["_id"])
            if fresh and fresh["state"] == "bot":
                summary = handoff.get("summary") if isinstance(handoff.get("summary"), dict) else None
                await self.lifecycle.handoff(fresh, BOT, str(handoff.get("reason") or "bot"), summary)

    async def _reply(self, conv: dict, replies: list[dict[str, Any]],
                     before_delivery: Callable[[], Awaitable[None]] | None = None) -> list[dict] | None:
        """Store the replies and deliver them; None when the bot is muted (a human took over)."""
        fresh = await self.conversations.get(conv["_id"])
        if fresh is None or fresh["state"] != "bot":
            return None  # muted: a human took over while the bot was thinking
        docs = await self.messages.append_many(
            conv["_id"],
            [{"sender": BOT, "type": "text", "text": r["text"], "buttons": r.get("buttons") or [],
              "meta": r["meta"]} for r in replies],
        )
        if before_delivery is not None:
            await before_delivery()
        for doc in docs:
            await self.conversations.delivery.to_conversation(fresh, "message", wire(doc))
        return docs

    async def _learn(self, conv: dict, replies: list[dict[str, Any]], text: str) -> None:
        """Keep what the bot understood on the conversation (matter, scope, outcome)."""
        fields: dict[str, Any] = {}
        for r in replies:
            meta = r["meta"]
            if meta.get("matter"):
                fields["matter"] = meta["matter"]
            if meta.get("scope") and meta["scope"] != "unknown":
                fields["scope"] = meta["scope"]
            if meta.get("intent"):
                fields["last_intent"] = meta["intent"]
            if r["outcome"] == "bot_resolved":
                fields["bot_resolved"] = True
            elif r["outcome"] == "unanswered":
                await self.unanswered.record(str(r.get("question") or text), meta.get("matter") or conv.get("matter"),
                                             conv["_id"])
        if ("matter" in fields or "scope" in fields) and conv.get("state") == "bot":
            # a bot conversation belongs to the department its matter routes to (supervisors see it)
            fields["department"] = self.lifecycle.catalogue.route(
                fields.get("matter") or conv.get("matter"), fields.get("scope") or conv.get("scope"))
        if fields:
            await self.conversations.set_fields(conv["_id"], fields)

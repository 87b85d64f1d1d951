"""Bot turns: user messages in state `bot` go to Rasa; replies are stored and delivered.

The bot is muted on the server side: replies are dropped when the conversation
left state `bot` while Rasa was thinking, and nothing is sent to Rasa outside it.

Turns survive the death of their process. Every user text message the bot will answer is
stored with a mark `bot_turn` {process, at}: "this process owes this message its turn" (no
extra write: it is part of the message's insert). The mark is removed when the turn is done
(replies stored, or muted, or the apology sent): one write per turn. Bot replies carry
`reply_to` (the user message's id). Every bridge's sweeper looks up marks older than half of
`PROCESS_DEAD_S` (sparse index) and takes over those whose process stopped beating, or that
are older than `BOT_TURN_STUCK_S` (a live turn lasts at most `RASA_TIMEOUT_S`), with a guarded
update (exactly one sweeper wins); a mark of a live process is never taken before that. The
winner re-runs that message's turn unless its reply is stored or the bot's part of the
conversation ended. One mark per message, so any number of bridges and devices are covered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bridge.domain.conversations import Conversations
from bridge.domain.lifecycle import Lifecycle
from bridge.domain.messaging import Messaging
from bridge.domain.unanswered import Unanswered
from bridge.infra.keyed_locks import KeyedLocks
from bridge.infra.message_store import MessageStore
from bridge.infra.metrics import BOT_TURN
from bridge.infra.rasa_client import BotUnavailable
from bridge.infra.rasa_pool import RasaPool
from core.catalogue import Catalogue
from core.clock import now
from core.db import Store

log = logging.getLogger("bangban.bot")
BOT = {"role": "bot", "id": "xiaoshen", "name": "小申"}
META_KEYS = ("intent", "confidence", "matter", "kb_article", "scope")
HANDOFF_BUTTON = {"title": "转人工", "payload": "/request_human"}
APOLOGY = "抱歉，小申暂时无法回答您的问题。您可以点击“转人工”，由帮办人员为您服务。"
MEDIA_REPLY = "小申暂时还看不懂图片和语音。如需帮助，可以用文字描述问题，或点击“转人工”。"
MAX_RECOVERIES = 3  # a turn re-run this often without being settled is given up (logged)


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
    def __init__(self, store: Store, rasa: RasaPool, conversations: Conversations, messages: MessageStore,
                 messaging: Messaging, lifecycle: Lifecycle, unanswered: Unanswered, catalogue: Catalogue,
                 process_id: str = "local") -> None:
        self.store = store
        self.rasa = rasa
        self.conversations = conversations
        self.messages = messages
        self.messaging = messaging
        self.lifecycle = lifecycle
        self.unanswered = unanswered
        self.catalogue = catalogue
        self.process_id = process_id
        self._tasks: set[asyncio.Task] = set()
        # one lock per conversation while a turn runs or waits; dropped when nobody holds it
        self._lock = KeyedLocks()
        # user messages accepted by this process whose turn has not finished, per conversation
        self._queued: dict[str, list[dict]] = {}
        self._recoveries: set[asyncio.Task] = set()
        self.last_turn_ms: float = 0.0

    def start(self, conv: dict, user_msg: dict) -> None:
        """Answer `user_msg` in the background (the sender's ack does not wait for the bot)."""
        task = asyncio.create_task(self.turn(conv, user_msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def turn_mark(self) -> dict[str, Any]:
        """The mark stored with a user message this process will answer (see the module's docstring)."""
        return {"process": self.process_id, "at": now()}

    async def turn(self, conv: dict, user_msg: dict) -> None:
        """Answer one user message; one turn at a time per conversation, in order."""
        cid = conv["_id"]
        queued = self._queued.setdefault(cid, [])
        queued.append(user_msg)
        try:
            async with self._lock(cid):
                try:
                    await self._run(conv, user_msg)
                except Exception:  # a failed turn must never kill the caller's task
                    log.exception("bot turn failed", extra={"conversation_id": cid})
        finally:
            queued.remove(user_msg)
            if not queued:
                self._queued.pop(cid, None)

    async def _run(self, conv: dict, user_msg: dict) -> None:
        await self._turn(conv, user_msg)
        if user_msg.pop("bot_turn", None):
            # not settled with what the bot learned (apology, media, muted); a turn that raised keeps
            # its mark: the sweeper retries it once stuck
            await self.messages.settle_turn(user_msg["_id"])

    async def _turn(self, conv: dict, user_msg: dict) -> None:
        text = user_msg.get("text") or ""
        if user_msg["type"] != "text":
            await self._reply(conv, user_msg, [{"text": MEDIA_REPLY, "buttons": [HANDOFF_BUTTON],
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
            await self._reply(conv, user_msg, [{"text": APOLOGY, "buttons": [HANDOFF_BUTTON],
                                                "meta": {k: None for k in META_KEYS} | {
                                                    "scope": "unknown", "error": "bot_unavailable"}}])
            return
        self.last_turn_ms = (time.perf_counter() - t0) * 1000
        BOT_TURN.observe(self.last_turn_ms / 1000)
        replies = [normalise(o) for o in outputs if isinstance(o, dict)]
        if self.messaging.cards is not None:  # video guides and live sessions of the answer's article
            await self.messaging.cards.add(replies)
        handoff = next((r["handoff"] for r in replies if r["handoff"]), None)
        # learn before delivering: once the user sees the reply, the conversation knows its matter and scope;
        # a turn ending in a handoff leaves them to the handoff's own write (one write of the conversation)
        deferred: dict[str, Any] = {}

        async def learn() -> None:
            nonlocal deferred
            deferred = await self._learn(conv, user_msg, replies, text, defer=bool(handoff))

        stored = await self._reply(conv, user_msg, [r for r in replies if r["text"] or r["buttons"]],
                                   before_delivery=learn)
        if stored is None or not handoff:
            return
        handed = None
        try:
            fresh = await self.conversations.get(conv["_id"])
            if fresh and fresh["state"] == "bot":
                summary = handoff.get("summary") if isinstance(handoff.get("summary"), dict) else None
                handed = await self.lifecycle.handoff({**fresh, **deferred}, BOT, str(handoff.get("reason") or "bot"),
                                                      summary)
        finally:
            if handed is None and deferred:  # no handoff happened: what the bot learned is written as usual
                await self._write_learned(conv["_id"], deferred)

    async def _write_learned(self, conversation_id: str, fields: dict[str, Any]) -> None:
        """What the bot learned; its department only while the bot still has the conversation."""
        if "department" in fields and await self.conversations.update(conversation_id, {"state": "bot"},
                                                                       {"$set": fields}):
            return
        fields = {k: v for k, v in fields.items() if k != "department"}
        if fields:
            await self.conversations.set_fields(conversation_id, fields)

    async def _reply(self, conv: dict, user_msg: dict, replies: list[dict[str, Any]],
                     before_delivery: Callable[[], Awaitable[None]] | None = None) -> list[dict] | None:
        """Send the replies to `user_msg`; None when the bot is muted (a human took over)."""
        return await self.messaging.bot_replies(conv["_id"], BOT, user_msg, replies, before_delivery)

    async def _learn(self, conv: dict, user_msg: dict, replies: list[dict[str, Any]], text: str,
                     defer: bool = False) -> dict[str, Any]:
        """Keep what the bot understood on the conversation (matter, scope, outcome); settle the turn.

        With `defer` (the turn ends in a handoff, whose guarded write sets matter, scope and department),
        those fields are not written now but returned, for the handoff's write; otherwise returns {}.
        """
        fields: dict[str, Any] = {}
        for r in replies:
            meta = r["meta"]
            if meta.get("matter"):
                fields["matter"] = meta["matter"]
            if meta.get("scope") and meta["scope"] != "unknown":
                fields["scope"] = meta["scope"]
            if r["outcome"] == "bot_resolved":
                fields["bot_resolved"] = True
            elif r["outcome"] == "unanswered":
                await self.unanswered.record(str(r.get("question") or text), meta.get("matter") or conv.get("matter"),
                                             conv["_id"])
        if ("matter" in fields or "scope" in fields) and conv.get("state") == "bot":
            # a bot conversation belongs to the department its matter routes to (supervisors see it)
            fields["department"] = self.catalogue.route(
                fields.get("matter") or conv.get("matter"), fields.get("scope") or conv.get("scope"))
        # a write only for what changed (the coherent cache knows the conversation): each costs the database
        # a rewrite of the document and its index entries
        if fields:
            known = await self.conversations.get(conv["_id"]) or {}
            fields = {k: v for k, v in fields.items() if k not in known or known[k] != v}
        # settled before delivery: once the user sees the reply, no sweeper re-runs the turn
        writes = [self.messages.settle_turn(user_msg["_id"])] if user_msg.pop("bot_turn", None) else []
        deferred = {k: fields.pop(k) for k in ("matter", "scope", "department") if k in fields} if defer else {}
        if fields:
            writes.append(self.conversations.set_fields(conv["_id"], fields))
        await asyncio.gather(*writes)
        return deferred

    # --- recovery of turns whose process died -------------------------------------------------
    async def recover_pending(self, dead_after_s: float, stuck_after_s: float) -> int:
        """Claim and re-run the pending turns of dead processes (or stuck ones); count claimed.

        Called by every bridge's sweeper; the claim is a guarded update on the mark's old owner and
        time, so of several sweepers exactly one re-runs a message's turn.
        """
        t = now()
        # a process is found dead `dead_after_s` after its last beat, and its marks are older than that:
        # younger marks (turns in flight) are not even read
        young = dt.timedelta(seconds=max(1.0, min(dead_after_s, stuck_after_s) / 2))
        marked = await self.messages.marked_turns(t - young)
        if not marked:
            return 0
        alive = {p["_id"] for p in await self.store.processes.find(
            {"seen": {"$gte": t - dt.timedelta(seconds=dead_after_s)}}, {"_id": 1}).to_list(None)}
        alive.add(self.process_id)
        claimed = []
        for msg in marked:
            mark = msg.get("bot_turn")
            if not isinstance(mark, dict) or not isinstance(mark.get("at"), dt.datetime):
                continue
            if mark.get("process") in alive and mark["at"] >= t - dt.timedelta(seconds=stuck_after_s):
                continue  # its process is alive and the turn is not stuck
            if await self._claim(msg, mark):
                claimed.append(msg)
        for msg in sorted(claimed, key=lambda m: (m["conversation_id"], m["seq"])):  # in order per conversation
            task = asyncio.create_task(self._recover(msg["conversation_id"], msg["_id"]),
                                       name=f"bot-recover-{msg['_id']}")
            self._recoveries.add(task)
            task.add_done_callback(self._recoveries.discard)
        return len(claimed)

    async def _claim(self, msg: dict, mark: dict) -> bool:
        """Take over one orphaned mark (or give it up after MAX_RECOVERIES tries)."""
        cid = msg["conversation_id"]
        if any(m["_id"] == msg["_id"] for m in self._queued.get(cid, [])):
            return False  # this process is running that turn
        if int(mark.get("tries", 0)) >= MAX_RECOVERIES:
            if await self.messages.drop_turn_mark(msg["_id"], mark):
                log.error("bot turn given up", extra={"conversation_id": cid, "seq": msg["seq"]})
            return False
        if not await self.messages.claim_turn(msg["_id"], mark, self.process_id):
            return False  # another sweeper claimed it, or its owner settled it meanwhile
        log.info("recovering bot turn", extra={"conversation_id": cid, "seq": msg["seq"],
                                               "from_process": mark.get("process")})
        return True

    async def _recover(self, cid: str, message_id: str) -> None:
        """Re-run the turn of one claimed user message, unless it is answered or the bot's part ended."""
        user_msg: dict | None = None
        try:
            async with self._lock(cid):
                conv = await self.conversations.get(cid, fresh=True)
                user_msg = await self._owed(conv, message_id)
                if user_msg is None:  # answered, or the bot is no longer in charge: only clear
                    await self.messages.settle_turn(message_id)
                    return
                self._queued.setdefault(cid, []).append(user_msg)
                await self._run(conv, user_msg)  # a failure keeps the mark: retried when stuck
                log.info("bot turn recovered", extra={"conversation_id": cid, "seq": user_msg["seq"]})
        except Exception:
            log.exception("bot turn recovery failed", extra={"conversation_id": cid})
        finally:
            queued = self._queued.get(cid, [])
            if user_msg is not None and user_msg in queued:
                queued.remove(user_msg)
            if not queued:
                self._queued.pop(cid, None)

    async def _owed(self, conv: dict | None, message_id: str) -> dict | None:
        """The user message `message_id` if the bot still owes it a reply, else None."""
        if conv is None or conv["state"] != "bot" or await self.messages.reply_exists(conv["_id"], message_id):
            return None
        msg = await self.store.messages.find_one({"_id": message_id})
        if msg is None:
            return None
        # a system notice (handoff, handback, …) or an agent after it: the bot's part ended there
        later = await self.messages.since(conv["_id"], msg["seq"], 200)
        if any(d["sender"].get("role") not in ("user", "bot") for d in later):
            return None
        return msg

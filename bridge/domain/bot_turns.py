"""Bot turns: user messages in state `bot` go to Rasa; replies are stored and delivered.

The bot is muted on the server side: replies are dropped when the conversation
left state `bot` while Rasa was thinking, and nothing is sent to Rasa outside it.

Turns survive the death of their process. Before Rasa is called, the conversation
carries `bot_pending` {seq, process, at}: "this process answers the user's messages
from `seq` on". It is removed (or moved to the next message this process has queued
for the conversation) by the write that stores what the bot learned, after the
replies are stored, so a turn costs one extra write. Bot replies carry `reply_to`
(the user message's id). Every bridge's sweeper looks up marks (sparse index) whose
process stopped beating (`PROCESS_DEAD_S`) or that are older than
`BOT_TURN_STUCK_S`, claims one with a guarded update (only one sweeper wins) and
re-runs the turns of that conversation's unanswered user messages; messages whose
replies were already stored are not sent again, the mark is only cleared.
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
from bridge.infra.rasa_client import BotUnavailable, RasaClient
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
    def __init__(self, store: Store, rasa: RasaClient, conversations: Conversations, messages: MessageStore,
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
        # seq of the `bot_pending` mark this process holds, per conversation
        self._owned: dict[str, int] = {}
        self._recoveries: set[asyncio.Task] = set()
        self.last_turn_ms: float = 0.0

    def start(self, conv: dict, user_msg: dict) -> None:
        """Answer `user_msg` in the background (the sender's ack does not wait for the bot)."""
        task = asyncio.create_task(self.turn(conv, user_msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def new_conversation_mark(self, conversation_id: str) -> dict[str, Any]:
        """The mark of the first turn, stored with the new conversation (no extra write)."""
        self._owned[conversation_id] = 1
        return {"seq": 1, "process": self.process_id, "at": now()}

    def forget(self, conversation_id: str) -> None:
        """The conversation was not created after all."""
        self._owned.pop(conversation_id, None)

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
                # a failed turn may leave its mark in the database: the sweeper retries it once stuck
                self._owned.pop(cid, None)

    async def _run(self, conv: dict, user_msg: dict) -> None:
        if user_msg["type"] == "text":
            await self._mark(conv["_id"], user_msg["seq"])
        await self._turn(conv, user_msg)
        if self._owned.get(conv["_id"]) == user_msg["seq"]:
            # not settled by the write that stores what the bot learned (apology, media, muted, handoff)
            await self._settle(conv["_id"], user_msg["seq"], {})

    async def _mark(self, cid: str, seq: int) -> None:
        """Durably note, before Rasa is called, that this process answers the user from `seq` on."""
        if self._owned.get(cid) == seq:
            return  # stored with the new conversation, or moved here when the previous turn settled
        # never displaces another process's mark (its turn may still need recovering); read by the
        # sweeper only, so the conversation cache needs no invalidation
        res = await self.store.conversations.update_one(
            # `$in` with None: no mark, or ours (an `$or` here made the embedded database scan the collection)
            {"_id": cid, "bot_pending.process": {"$in": [None, self.process_id]}},
            {"$set": {"bot_pending": {"seq": seq, "process": self.process_id, "at": now()}}})
        if res.matched_count == 1:
            self._owned[cid] = seq

    async def _settle(self, cid: str, seq: int, fields: dict[str, Any]) -> None:
        """One write: what the bot learned, and the mark removed or moved to the next queued message."""
        update: dict[str, Any] = {"$set": dict(fields)} if fields else {}
        if self._owned.get(cid) == seq:
            rest = [m["seq"] for m in self._queued.get(cid, []) if m["seq"] != seq]
            if rest:
                nxt = min(rest)
                update.setdefault("$set", {})["bot_pending"] = {"seq": nxt, "process": self.process_id, "at": now()}
            else:
                update["$unset"] = {"bot_pending": ""}
        if not update:
            return
        await self.conversations.update(cid, {}, update)
        if self._owned.get(cid) == seq:
            if "$unset" in update:
                del self._owned[cid]
            else:
                self._owned[cid] = update["$set"]["bot_pending"]["seq"]

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
        # learn before delivering: once the user sees the reply, the conversation knows its matter and scope
        stored = await self._reply(conv, user_msg, [r for r in replies if r["text"] or r["buttons"]],
                                   before_delivery=lambda: self._learn(conv, user_msg, replies, text))
        if stored is None:
            return
        handoff = next((r["handoff"] for r in replies if r["handoff"]), None)
        if handoff:
            fresh = await self.conversations.get(conv["_id"])
            if fresh and fresh["state"] == "bot":
                summary = handoff.get("summary") if isinstance(handoff.get("summary"), dict) else None
                await self.lifecycle.handoff(fresh, BOT, str(handoff.get("reason") or "bot"), summary)

    async def _reply(self, conv: dict, user_msg: dict, replies: list[dict[str, Any]],
                     before_delivery: Callable[[], Awaitable[None]] | None = None) -> list[dict] | None:
        """Send the replies to `user_msg`; None when the bot is muted (a human took over)."""
        return await self.messaging.bot_replies(conv["_id"], BOT, user_msg, replies, before_delivery)

    async def _learn(self, conv: dict, user_msg: dict, replies: list[dict[str, Any]], text: str) -> None:
        """Keep what the bot understood on the conversation (matter, scope, outcome); settle the turn."""
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
            fields["department"] = self.catalogue.route(
                fields.get("matter") or conv.get("matter"), fields.get("scope") or conv.get("scope"))
        await self._settle(conv["_id"], user_msg["seq"], fields)

    # --- recovery of turns whose process died -------------------------------------------------
    async def recover_pending(self, dead_after_s: float, stuck_after_s: float) -> int:
        """Claim and re-run the pending turns of dead processes (or stuck ones); count claimed.

        Called by every bridge's sweeper; the claim is a guarded update on the mark's old owner and
        time, so of several sweepers exactly one re-runs a conversation's turns.
        """
        store = self.store
        t = now()
        # a process is found dead `dead_after_s` after its last beat, and its marks are older than that:
        # younger marks (turns in flight) are not even read
        young = dt.timedelta(seconds=max(1.0, min(dead_after_s, stuck_after_s) / 2))
        marked = await store.conversations.find(
            {"bot_pending.at": {"$lt": t - young}}, {"bot_pending": 1}).to_list(100)
        if not marked:
            return 0
        alive = {p["_id"] for p in await store.processes.find(
            {"seen": {"$gte": t - dt.timedelta(seconds=dead_after_s)}}, {"_id": 1}).to_list(None)}
        alive.add(self.process_id)
        claimed = 0
        for conv in marked:
            cid, mark = conv["_id"], conv.get("bot_pending")
            if not isinstance(mark, dict) or not isinstance(mark.get("at"), dt.datetime):
                continue
            owner = mark.get("process")
            dead = owner not in alive
            if not dead and (mark["at"] >= t - dt.timedelta(seconds=stuck_after_s) or cid in self._queued):
                continue  # its process is alive and the turn is not stuck (or still running here)
            if int(mark.get("tries", 0)) >= MAX_RECOVERIES:
                if await self.conversations.update(cid, {"bot_pending.process": owner, "bot_pending.at": mark["at"]},
                                                   {"$unset": {"bot_pending": ""}}) == 1:
                    log.error("bot turn given up", extra={"conversation_id": cid, "seq": mark.get("seq")})
                continue
            res = await store.conversations.update_one(
                {"_id": cid, "bot_pending.process": owner, "bot_pending.at": mark["at"]},
                {"$set": {"bot_pending.process": self.process_id, "bot_pending.at": t},
                 "$inc": {"bot_pending.tries": 1}})
            if res.modified_count != 1:
                continue  # another sweeper claimed it, or its owner settled it meanwhile
            claimed += 1
            log.info("recovering bot turns", extra={"conversation_id": cid, "seq": mark.get("seq"),
                                                    "from_process": owner, "reason": "dead" if dead else "stuck"})
            task = asyncio.create_task(self._recover(cid, int(mark.get("seq") or 1)), name=f"bot-recover-{cid}")
            self._recoveries.add(task)
            task.add_done_callback(self._recoveries.discard)
        return claimed

    async def _recover(self, cid: str, from_seq: int) -> None:
        """Re-run the turns of the user messages from `from_seq` on that have no stored reply."""
        todo: list[dict] = []
        try:
            async with self._lock(cid):
                conv = await self.conversations.get(cid, fresh=True)
                if conv is not None and conv["state"] == "bot":
                    # messages whose turn waits in this process are answered by that turn
                    live = {m["_id"] for m in self._queued.get(cid, [])}
                    todo = await self._unanswered(cid, from_seq, live)
                self._queued.setdefault(cid, []).extend(todo)
                # the mark claimed in the database covers every message from `from_seq` on
                self._owned[cid] = todo[0]["seq"] if todo else from_seq
                if not todo:  # replies already stored, or the bot is no longer in charge: only clear
                    await self._settle(cid, from_seq, {})
                for msg in todo:
                    await self._run(conv, msg)  # a failure keeps the mark: retried when stuck
                    log.info("bot turn recovered", extra={"conversation_id": cid, "seq": msg["seq"]})
        except Exception:
            log.exception("bot turn recovery failed", extra={"conversation_id": cid})
        finally:
            queued = self._queued.get(cid, [])
            for msg in todo:
                if msg in queued:
                    queued.remove(msg)
            if not queued:
                self._queued.pop(cid, None)
                self._owned.pop(cid, None)

    async def _unanswered(self, cid: str, from_seq: int, skip: set[str]) -> list[dict]:
        """User messages from `from_seq` on without a stored reply, up to the first state change."""
        docs = await self.messages.since(cid, from_seq - 1, 200)
        answered = {d.get("reply_to") for d in docs if d["sender"].get("role") == "bot"}
        todo = []
        for d in docs:
            role = d["sender"].get("role")
            if role not in ("user", "bot"):
                break  # a system notice (handoff, handback, …) or an agent: the bot's part ended there
            if role == "user" and d["_id"] not in answered and d["_id"] not in skip:
                todo.append(d)
        return todo

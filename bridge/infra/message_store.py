"""Message storage: gap-free per-conversation numbering, idempotent sends, sync.

A message is numbered by inserting it under the unique index (conversation_id, seq). The process
numbers one message of a conversation at a time (a lock per conversation), so its own messages never
collide. It remembers the next seq of the conversations it has seen and learns the seqs other
processes gave from the messages they relay (`observe`). Every seq it tries has its predecessor
stored (its own insert, a relayed message, a collision or a read told so): a seq is taken only by a
stored message (no gap, whatever fails) and seqs are stored in order. With several processes the
unique index is what arbitrates: two processes writing one conversation at once (the user on one
bridge, its agent on the other) may try the same seq; the loser tries the next one (no gap: the seq
lost is stored), twice, then reads the highest seq. A duplicate on (sender.id, client_msg_id) means
a resend: nothing is stored and the first message is returned. One round trip per message in the
common case (inserts arriving together share one, see `bridge/infra/write_batch.py`); never an ack
before the insert is acknowledged. (Session 8's Redis seq leases, which made processes take turns,
were removed in session 9: docs/reliability.md, "Session 9, 10,000 users on two bridges".)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
import uuid
from collections import OrderedDict
from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError, PyMongoError

from bridge.infra.keyed_locks import KeyedLocks
from bridge.infra.metrics import MESSAGE_STORE, MESSAGES, SEQ_RETRIES
from bridge.infra.write_batch import InsertBatcher, UpdateBatcher
from core.clock import iso, now
from core.db import Store

MAX_RETRIES = 20
BLIND_RETRIES = 2  # collisions retried with the next seq before the highest one is read
# after those, a random pause before the read breaks the lockstep of two processes that keep taking the same
# seq (one of them otherwise can lose every round of a long exchange: "could not number")
BACKOFF_S = 0.004
RECENT_CONVERSATIONS = 2_000  # young conversations whose every message this process stored (`recent`)
RECENT_MESSAGES = 16  # memory bound: about 2,000 × 16 small documents at most
# `MESSAGE_LINGER_MS`: under load (a batch went out within the last 50 ms) every insert batch waits this long for
# more messages. The embedded database spends about 1 ms of CPU per insert command besides 0.4–0.5 ms per document
# (bench/message_inserts.py) and at 200 messages/s a bridge sends each message alone; but the wait lengthens
# every message's ack and delivery, and the window in which two bridges collide on a seq. Off by default
# (docs/reliability.md, "Session 10").
LINGER_S = 0.0


def wire(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored message as the contract's `message` event payload."""
    out = {
        "conversation_id": doc["conversation_id"],
        "seq": doc["seq"],
        "id": doc["_id"],
        "sender": doc["sender"],
        "type": doc["type"],
        "text": doc.get("text") or "",
        "meta": doc.get("meta") or {},
        "ts": iso(doc["ts"]),
    }
    if doc.get("media"):
        out["media"] = doc["media"]
    if doc.get("media_id"):
        out["media_id"] = doc["media_id"]
    if doc.get("buttons"):
        out["buttons"] = doc["buttons"]
    if doc.get("cards"):  # video guides and live sessions of an answer (docs/protocol.md)
        out["cards"] = doc["cards"]
    if doc.get("client_msg_id"):
        out["client_msg_id"] = doc["client_msg_id"]
    return out


class MessageStore:
    """Append and read the messages of conversations."""

    def __init__(self, store: Store, cache_size: int = 50_000, linger_s: float = LINGER_S) -> None:
        self.store = store
        self._next: OrderedDict[str, int] = OrderedDict()
        self._cache_size = cache_size
        self._inserts = InsertBatcher(store.messages, linger_s=linger_s, linger_each=True)
        self._settles = UpdateBatcher(store.messages)  # a turn's end shares its command with others
        # held while a message of the conversation is numbered and stored; dropped when unused
        self._lock = KeyedLocks()
        self._recent: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()

    async def _start(self, conversation_id: str) -> int:
        """The seq to try first: the next one this process knows of, else read."""
        return self._next.get(conversation_id) or await self._load_next(conversation_id)

    async def _load_next(self, conversation_id: str) -> int:
        last = await self.store.messages.find_one(
            {"conversation_id": conversation_id}, {"seq": 1}, sort=[("seq", DESCENDING)]
        )
        return (last["seq"] + 1) if last else 1

    def observe(self, message: dict[str, Any]) -> None:
        """A message stored by any process (seen on its way to the clients): its seq is taken.

        Conversations not seen before are learned too: the first message this process stores in
        one (an agent's first reply on the other bridge) then needs no read of the highest seq.
        A guess too low (an observed message overtaken by a later one) only costs a retry.
        """
        cid, seq = message.get("conversation_id"), message.get("seq")
        if not isinstance(seq, int) or not isinstance(cid, str):
            return
        known = self._next.get(cid)
        if known is None:
            self._remember(cid, seq + 1)
        elif known <= seq:
            self._next[cid] = seq + 1

    def recent(self, conversation_id: str) -> list[dict[str, Any]] | None:
        """Every message of a young conversation, in order, when this process stored them all.

        None unless the messages this process stored run gap-free from seq 1 to the last seq it
        knows of (its own and, through the Redis relay, `observe`d ones of other processes); a
        handoff then needs no read for its summary and the agent's history. Not for `sync`.
        """
        docs = self._recent.get(conversation_id)
        if not docs or self._next.get(conversation_id) != docs[-1]["seq"] + 1:
            return None
        return list(docs)

    def _keep_recent(self, doc: dict[str, Any]) -> None:
        cid, seq = doc["conversation_id"], doc["seq"]
        docs = self._recent.get(cid)
        if seq == 1:
            docs = self._recent[cid] = []
        elif docs is None:
            return
        if (docs and docs[-1]["seq"] + 1 != seq) or len(docs) >= RECENT_MESSAGES:
            del self._recent[cid]  # a gap (another process wrote) or too long: reads from now on
            return
        docs.append(doc)
        self._recent.move_to_end(cid)
        while len(self._recent) > RECENT_CONVERSATIONS:
            self._recent.popitem(last=False)

    def _remember(self, conversation_id: str, nxt: int) -> None:
        self._next[conversation_id] = nxt
        self._next.move_to_end(conversation_id)
        while len(self._next) > self._cache_size:
            self._next.popitem(last=False)

    async def find_by_client_id(self, sender_id: str, client_msg_id: str) -> dict | None:
        return await self.store.messages.find_one({"sender.id": sender_id, "client_msg_id": client_msg_id})

    async def append(
        self,
        conversation_id: str,
        sender: dict[str, Any],
        type_: str = "text",
        text: str = "",
        *,
        client_msg_id: str | None = None,
        media_id: str | None = None,
        media: dict | None = None,
        buttons: list | None = None,
        meta: dict | None = None,
        cards: list | None = None,
        new_conversation: bool = False,
        bot_turn: dict | None = None,
    ) -> tuple[dict, bool]:
        """Store one message; return (doc, created). created=False means a resend.

        `bot_turn` ({process, at}) marks a user message whose bot turn that process owes (bot_turns.py).
        """
        doc: dict[str, Any] = {
            "_id": uuid.uuid4().hex,
            "conversation_id": conversation_id,
            "sender": sender,
            "type": type_,
            "text": text,
            "meta": meta or {},
            "ts": now(),
        }
        if client_msg_id:
            doc["client_msg_id"] = client_msg_id
        if media_id:
            doc["media_id"] = media_id
        if media:
            doc["media"] = media
        if buttons:
            doc["buttons"] = buttons
        if cards:
            doc["cards"] = cards
        if bot_turn:
            doc["bot_turn"] = bot_turn
        t0 = time.perf_counter()
        async with self._lock(conversation_id):
            nxt = 1 if new_conversation else await self._start(conversation_id)
            stored, created = await self._insert_numbered(conversation_id, doc, sender, client_msg_id, nxt)
        if created:
            MESSAGE_STORE.observe(time.perf_counter() - t0)
        return stored, created

    async def _insert_numbered(self, conversation_id: str, doc: dict[str, Any], sender: dict[str, Any],
                               client_msg_id: str | None, nxt: int) -> tuple[dict, bool]:
        for attempt in range(MAX_RETRIES):
            doc["seq"] = nxt
            try:
                await self._inserts.insert(doc)
            except DuplicateKeyError as exc:
                pattern = (exc.details or {}).get("keyPattern") or {}
                if "client_msg_id" in pattern or "client_msg_unique" in str(exc):
                    first = await self.find_by_client_id(sender["id"], client_msg_id or "")
                    if first is not None:
                        return first, False
                    raise
                SEQ_RETRIES.inc()
                nxt = await self._after_collision(conversation_id, nxt, attempt)
                continue
            except PyMongoError:
                # the database may have restarted: learn the next seq from it again rather than trust ours
                self._next.pop(conversation_id, None)
                raise
            self._remember(conversation_id, nxt + 1)
            self._keep_recent(doc)
            MESSAGES.labels(sender.get("role", "unknown")).inc()
            return doc, True
        raise RuntimeError(f"could not number a message of {conversation_id}")

    async def _after_collision(self, conversation_id: str, taken: int, attempt: int) -> int:
        """The seq to try after `taken` was stored by another process (it wrote the conversation at
        the same time, before this process saw its message relayed).

        `taken` exists, so every seq up to it does: `taken + 1` (or what the relay told meanwhile,
        if higher) leaves no gap. The first collisions try that without a read; later ones read.
        """
        if attempt < BLIND_RETRIES:
            return max(taken + 1, self._next.get(conversation_id, 0))
        await asyncio.sleep(random.uniform(0, BACKOFF_S * (attempt - BLIND_RETRIES + 1)))
        return await self._load_next(conversation_id)

    async def append_many(self, conversation_id: str, items: list[dict[str, Any]]) -> list[dict]:
        """Store several messages of one sender in order (bot replies): one round trip."""
        if not items:
            return []
        async with self._lock(conversation_id):
            return await self._insert_many_numbered(conversation_id, items, await self._start(conversation_id))

    async def _insert_many_numbered(self, conversation_id: str, items: list[dict[str, Any]], nxt: int) -> list[dict]:
        """Number and store `items` in one batched insert (shared with other conversations' inserts).

        The batch is unordered: when another process took some of the seqs, the messages that got
        theirs stay and the others are numbered after the highest stored seq (their order among
        themselves is kept; such a collision can put one after a later one of the same call).
        """
        for _ in range(MAX_RETRIES):
            docs = []
            ts = now()
            for i, item in enumerate(items):
                doc = {"_id": uuid.uuid4().hex, "conversation_id": conversation_id, "seq": nxt + i,
                       "ts": ts, "text": "", "meta": {}, "type": "text"}
                doc.update(item)
                docs.append(doc)
            outcomes = await self._inserts.outcomes(docs)
            stored = [d for d, o in zip(docs, outcomes, strict=True) if o is None]
            for doc in stored:
                MESSAGES.labels(doc.get("sender", {}).get("role", "unknown")).inc()
            other = next((o for o in outcomes if o is not None and not isinstance(o, DuplicateKeyError)), None)
            if other is not None:
                self._next.pop(conversation_id, None)
                raise other
            if len(stored) == len(docs):
                self._remember(conversation_id, nxt + len(docs))
                for doc in docs:
                    self._keep_recent(doc)
                return docs
            SEQ_RETRIES.inc()
            self._next.pop(conversation_id, None)
            self._recent.pop(conversation_id, None)
            rest = [item for item, o in zip(items, outcomes, strict=True) if o is not None]
            nxt = await self._load_next(conversation_id)
            if stored:
                return stored + await self._insert_many_numbered(conversation_id, rest, nxt)
            items = rest
        raise RuntimeError(f"could not number messages of {conversation_id}")

    async def since(self, conversation_id: str, after_seq: int = 0, limit: int = 500) -> list[dict]:
        """Messages with seq > after_seq, in order."""
        cursor = self.store.messages.find(
            {"conversation_id": conversation_id, "seq": {"$gt": after_seq}}, sort=[("seq", 1)], limit=limit
        )
        return await cursor.to_list(None)

    async def last(self, conversation_id: str, n: int = 20) -> list[dict]:
        cursor = self.store.messages.find(
            {"conversation_id": conversation_id}, sort=[("seq", DESCENDING)], limit=n
        )
        docs = await cursor.to_list(None)
        return list(reversed(docs))

    # --- pending bot turns (marks on user messages, bot_turns.py) ------------------------------
    async def settle_turn(self, message_id: str) -> None:
        """The bot turn of `message_id` is done (answered, muted or failed for good): drop its mark."""
        await self._settles.update({"_id": message_id, "bot_turn": {"$exists": True}}, {"$unset": {"bot_turn": ""}})

    async def marked_turns(self, older_than: dt.datetime, limit: int = 100) -> list[dict]:
        """User messages whose turn mark is older than `older_than` (sparse index), oldest conversation first."""
        return await self.store.messages.find(
            {"bot_turn.at": {"$lt": older_than}}, {"conversation_id": 1, "seq": 1, "bot_turn": 1},
            sort=[("bot_turn.at", 1)], limit=limit).to_list(None)

    async def claim_turn(self, message_id: str, mark: dict, process_id: str) -> bool:
        """Take over the turn of `message_id` from the mark's owner; only one claimer wins."""
        res = await self.store.messages.update_one(
            {"_id": message_id, "bot_turn.process": mark.get("process"), "bot_turn.at": mark["at"]},
            {"$set": {"bot_turn.process": process_id, "bot_turn.at": now()}, "$inc": {"bot_turn.tries": 1}})
        return res.modified_count == 1

    async def drop_turn_mark(self, message_id: str, mark: dict) -> bool:
        """Remove an unchanged mark (a turn given up); False if someone touched it meanwhile."""
        res = await self.store.messages.update_one(
            {"_id": message_id, "bot_turn.process": mark.get("process"), "bot_turn.at": mark["at"]},
            {"$unset": {"bot_turn": ""}})
        return res.modified_count == 1

    async def reply_exists(self, conversation_id: str, message_id: str) -> bool:
        """Whether a bot reply to `message_id` is stored."""
        return await self.store.messages.find_one({"conversation_id": conversation_id, "reply_to": message_id},
                                                  {"_id": 1}) is not None

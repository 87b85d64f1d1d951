"""A read cache of conversation documents, kept coherent by invalidation.

Every message needs its conversation (access, state, agent); reading it from the
database each time doubles the round trips per message. All writes to
conversations go through `Conversations`, which drops the entry here; with several
bridge processes the drop is also published on Redis (`redis_events.py`) so the
others drop theirs. Entries are kept while the subscription lives: everything is
forgotten when it is lost (events may have been missed), nothing is cached before it
is made, and `ttl_s` (10 minutes) is only a safety net. A read that started before an
invalidation of the same conversation arrived is not cached (it may have read the
document as it was before the write). With one process (no Redis) local
invalidation is exact and entries do not expire.

A guarded write that only sets and unsets top-level fields (the first response: set
`first_response_at`, unset `fr_pending`, if `first_response_at` is still null and the
assignment the same) is published as a patch instead of a drop (`patch`): a process
holding the conversation applies it if its copy meets the write's guard, and drops its
copy otherwise. Every other write still drops, so a copy the patch was applied to in
the wrong order (another process's write came first in the database) is dropped by
that write's own invalidation, whichever arrives first. Before, the first response of
each conversation made every process read the conversation again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from typing import Any

import bson
from bson import json_util
from bson.codec_options import CodecOptions

from bridge.infra.redis_events import ReadGuard, RedisEvents

CHANNEL = "bangban:conversation-invalidate"
# entries are kept as BSON: every reader gets its own copy, decoded in C (deepcopy was a tenth of
# the bridge's time under load), with the same types as a document read from the database
_CODEC = CodecOptions(tz_aware=True)
TTL_S = 600.0
_JSON = json_util.JSONOptions(tz_aware=True, tzinfo=dt.timezone.utc)
PATCH = "{"  # an event starting so is a patch (JSON); any other is a conversation id to drop


class ConversationCache:
    def __init__(self, redis_url: str = "", size: int = 20_000, ttl_s: float = TTL_S) -> None:
        self.redis_url = redis_url
        self.size = size
        self.ttl_s = ttl_s if redis_url else float("inf")
        self._docs: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._events = RedisEvents(redis_url, CHANNEL, self._on_event, self.clear) if redis_url else None
        self._guard = ReadGuard()
        self._reads: OrderedDict[str, float] = OrderedDict()  # a miss's time, until its `put`
        self.hits = 0
        self.misses = 0

    def get(self, conversation_id: str) -> dict | None:
        entry = self._docs.get(conversation_id)
        t = time.monotonic()
        if entry is None or t - entry[0] > self.ttl_s:
            self.misses += 1
            self._reads.setdefault(conversation_id, t)
            while len(self._reads) > self.size:
                self._reads.popitem(last=False)
            return None
        self.hits += 1
        self._docs.move_to_end(conversation_id)
        return bson.decode(entry[1], codec_options=_CODEC)

    def put(self, doc: dict) -> None:
        """Cache `doc` as read (or inserted) now, unless it may be older than an invalidation seen meanwhile."""
        started = self._reads.pop(doc["_id"], None)
        if self._events is not None and not self._events.listening:
            return
        if started is not None and not self._guard.may_keep(doc["_id"], started):
            return
        self._docs[doc["_id"]] = (time.monotonic(), bson.encode(doc))
        self._docs.move_to_end(doc["_id"])
        while len(self._docs) > self.size:
            self._docs.popitem(last=False)

    def _drop(self, conversation_id: str) -> None:
        self._docs.pop(conversation_id, None)
        self._guard.changed(conversation_id)

    def _on_event(self, event: str) -> None:
        if event.startswith(PATCH):
            p = json_util.loads(event, json_options=_JSON)
            self._apply(p["id"], p["if"], p["set"], p["unset"])
        else:
            self._drop(event)

    def _apply(self, conversation_id: str, guard: dict[str, Any], set_: dict[str, Any], unset: list[str]) -> None:
        """A write's effect on this process's copy: applied if the copy meets the write's guard, else dropped."""
        self._guard.changed(conversation_id)  # a read in flight may be older than the write
        entry = self._docs.get(conversation_id)
        if entry is None:
            return
        doc = bson.decode(entry[1], codec_options=_CODEC)
        if all(doc.get(k) == v for k, v in set_.items()) and not any(k in doc for k in unset):
            return  # applied already (a process receives its own patches too)
        if any(doc.get(k) != v for k, v in guard.items()):
            del self._docs[conversation_id]
            return
        doc.update(set_)
        for k in unset:
            doc.pop(k, None)
        self._docs[conversation_id] = (entry[0], bson.encode(doc))

    def clear(self) -> None:
        """Forget every entry (the invalidations of other processes may have been missed)."""
        self._docs.clear()
        self._guard.cleared()

    async def invalidate(self, conversation_id: str) -> None:
        """Drop an entry here and in every other bridge process."""
        self._drop(conversation_id)
        if self._events is not None:
            await self._events.publish(conversation_id)

    async def patch(self, conversation_id: str, query: dict[str, Any], update: dict[str, Any]) -> None:
        """After a guarded write (`query`: equalities of top-level fields besides `_id`; `update`: `$set`
        and `$unset` of top-level fields), bring the copies of every process up to date, or drop them."""
        set_, unset = update.get("$set", {}), list(update.get("$unset", {}))
        fields = [*query, *set_, *unset]
        if set(update) - {"$set", "$unset"} or any("." in f or f.startswith("$") for f in fields) or any(
                isinstance(v, dict) for v in query.values()):
            await self.invalidate(conversation_id)  # not a patch this cache knows how to apply
            return
        self._apply(conversation_id, query, set_, unset)
        if self._events is not None:
            await self._events.publish(json_util.dumps({"id": conversation_id, "if": query, "set": set_,
                                                        "unset": unset}, json_options=_JSON))

    async def start(self) -> None:
        if self._events is not None:
            self._events.start()

    async def close(self) -> None:
        if self._events is not None:
            await self._events.close()

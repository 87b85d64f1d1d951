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
"""

from __future__ import annotations

import time
from collections import OrderedDict

import bson
from bson.codec_options import CodecOptions

from bridge.infra.redis_events import ReadGuard, RedisEvents

CHANNEL = "bangban:conversation-invalidate"
# entries are kept as BSON: every reader gets its own copy, decoded in C (deepcopy was a tenth of
# the bridge's time under load), with the same types as a document read from the database
_CODEC = CodecOptions(tz_aware=True)
TTL_S = 600.0


class ConversationCache:
    def __init__(self, redis_url: str = "", size: int = 20_000, ttl_s: float = TTL_S) -> None:
        self.redis_url = redis_url
        self.size = size
        self.ttl_s = ttl_s if redis_url else float("inf")
        self._docs: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._events = RedisEvents(redis_url, CHANNEL, self._drop, self.clear) if redis_url else None
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

    def clear(self) -> None:
        """Forget every entry (the invalidations of other processes may have been missed)."""
        self._docs.clear()
        self._guard.cleared()

    async def invalidate(self, conversation_id: str) -> None:
        """Drop an entry here and in every other bridge process."""
        self._drop(conversation_id)
        if self._events is not None:
            await self._events.publish(conversation_id)

    async def start(self) -> None:
        if self._events is not None:
            self._events.start()

    async def close(self) -> None:
        if self._events is not None:
            await self._events.close()

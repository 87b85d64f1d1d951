"""A read cache of conversation documents, kept coherent by invalidation.

Every message needs its conversation (access, state, agent); reading it from the
database each time doubles the round trips per message. All writes to
conversations go through `Conversations`, which drops the entry here; with several
bridge processes the drop is also published on Redis so the others drop theirs, and
entries expire after `ttl_s` in case an invalidation is missed (Redis restart).
With one process (no Redis) local invalidation is exact and entries do not expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict

import bson
from bson.codec_options import CodecOptions

log = logging.getLogger("bangban.conv_cache")
CHANNEL = "bangban:conversation-invalidate"
# entries are kept as BSON: every reader gets its own copy, decoded in C (deepcopy was a tenth of
# the bridge's time under load), with the same types as a document read from the database
_CODEC = CodecOptions(tz_aware=True)


class ConversationCache:
    def __init__(self, redis_url: str = "", size: int = 20_000, ttl_s: float = 30.0) -> None:
        self.redis_url = redis_url
        self.size = size
        self.ttl_s = ttl_s if redis_url else float("inf")
        self._docs: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._redis = None
        self._listener: asyncio.Task | None = None
        self.hits = 0
        self.misses = 0

    def get(self, conversation_id: str) -> dict | None:
        entry = self._docs.get(conversation_id)
        if entry is None or time.monotonic() - entry[0] > self.ttl_s:
            self.misses += 1
            return None
        self.hits += 1
        self._docs.move_to_end(conversation_id)
        return bson.decode(entry[1], codec_options=_CODEC)

    def put(self, doc: dict) -> None:
        self._docs[doc["_id"]] = (time.monotonic(), bson.encode(doc))
        self._docs.move_to_end(doc["_id"])
        while len(self._docs) > self.size:
            self._docs.popitem(last=False)

    async def invalidate(self, conversation_id: str) -> None:
        """Drop an entry here and in every other bridge process."""
        self._docs.pop(conversation_id, None)
        if self._redis is not None:
            try:
                await self._redis.publish(CHANNEL, conversation_id)
            except Exception:  # noqa: BLE001 - the TTL bounds staleness if Redis is away
                log.warning("invalidation publish failed", exc_info=True)

    async def start(self) -> None:
        if not self.redis_url:
            return
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(self.redis_url)
        self._listener = asyncio.create_task(self._listen(), name="conversation-cache-invalidation")

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(CHANNEL)
                async for msg in pubsub.listen():
                    if msg.get("type") == "message":
                        data = msg["data"]
                        self._docs.pop(data.decode() if isinstance(data, bytes) else str(data), None)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - reconnect; meanwhile forget everything (may be stale)
                log.warning("invalidation listener lost Redis; retrying", exc_info=True)
                self._docs.clear()
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()

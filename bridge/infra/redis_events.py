"""A Redis pub/sub channel that keeps a process's caches coherent with the other bridge processes.

Publishing: events go out in order through one pipeline at a time, each batch being what was
published while the previous one was in flight (a burst of publishes does not make redis-py's pool
open a connection per publish; see `sio_manager.py`, which does the same for Socket.IO's events).
Listening: one subscription; `on_event` sees every event of the channel (this process's own too),
`on_lost` is called when the subscription is lost (the cache must then forget what it knows, since
events may have been missed) and before it is made again. `listening` says whether events are
being received right now: a cache fills only then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

log = logging.getLogger("bangban.redis_events")
MAX_BATCH = 256


class RedisEvents:
    def __init__(self, redis_url: str, channel: str, on_event: Callable[[str], None],
                 on_lost: Callable[[], None]) -> None:
        self.redis_url = redis_url
        self.channel = channel
        self.on_event = on_event
        self.on_lost = on_lost
        self.listening = False
        self._redis = None
        self._listener: asyncio.Task | None = None
        self._outgoing: list[tuple[str, asyncio.Future[None]]] = []
        self._publisher: asyncio.Task | None = None
        self._closed = False

    def start(self) -> None:
        """Subscribe (in the background; `listening` turns true once subscribed)."""
        if self._listener is not None or self._closed:
            return
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(self.redis_url)
        self._listener = asyncio.create_task(self._listen(), name=f"redis-events:{self.channel}")

    async def publish(self, data: str) -> None:
        """Send `data` to every process (this one included); a failure is logged, not raised."""
        self.start()
        if self._redis is None:  # closed
            return
        fut = asyncio.get_running_loop().create_future()
        self._outgoing.append((data, fut))
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.create_task(self._publish_pending())
        await asyncio.shield(fut)  # a cancelled publisher does not cancel the others' batch

    async def _publish_pending(self) -> None:
        while self._outgoing:
            batch = self._outgoing[:MAX_BATCH]
            del self._outgoing[:MAX_BATCH]
            try:
                pipe = self._redis.pipeline(transaction=False)
                for data, _ in batch:
                    pipe.publish(self.channel, data)
                await pipe.execute()
            except Exception:  # noqa: BLE001 - the receivers' expiry bounds what is missed
                log.warning("publish of %d events on %s failed", len(batch), self.channel, exc_info=True)
            finally:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_result(None)

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(self.channel)
                self.listening = True
                async for msg in pubsub.listen():
                    if msg.get("type") == "message":
                        data = msg["data"]
                        self.on_event(data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - reconnect; meanwhile the cache forgets everything
                log.warning("subscription to %s lost; retrying", self.channel, exc_info=True)
            self.listening = False
            self.on_lost()
            await asyncio.sleep(1)

    async def close(self) -> None:
        self._closed = True
        self.listening = False
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._redis is not None:
            redis, self._redis = self._redis, None
            await redis.aclose()


class ReadGuard:
    """Tells whether a value read from the database may be cached: not when an event about its key
    (or a loss of the subscription) came while the read was in flight, nor after `max_age_s`."""

    def __init__(self, max_age_s: float = 30.0) -> None:
        self.max_age_s = max_age_s
        self._changed: OrderedDict[str, float] = OrderedDict()
        self._cleared = -1.0

    def changed(self, key: str) -> None:
        t = time.monotonic()
        self._changed[key] = t
        self._changed.move_to_end(key)
        while self._changed and t - next(iter(self._changed.values())) > self.max_age_s:
            self._changed.popitem(last=False)

    def cleared(self) -> None:
        self._cleared = time.monotonic()

    def may_keep(self, key: str, started: float) -> bool:
        """Whether a read of `key` that started at `started` (monotonic) saw no change since."""
        return (time.monotonic() - started <= self.max_age_s and started > self._cleared
                and self._changed.get(key, -1.0) < started)

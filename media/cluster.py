"""Request/response between bridge processes over Redis pub/sub: one channel per process.

A process that receives a media event for a session owned by another process publishes the event
on the owner's channel `bangban:media:<process_id>` and waits for the reply on its own channel.
Nobody subscribed (the owner is gone) or no reply within the timeout: `media_unavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from core.errors import ApiError
from core.tasks import cancel_and_wait

log = logging.getLogger(__name__)
PREFIX = "bangban:media:"
Serve = Callable[[dict], Awaitable[dict]]


def media_unavailable() -> ApiError:
    """The bridge process holding the call or co-browse session did not answer (stopped, overloaded)."""
    return ApiError(503, "media_unavailable", "通话或屏幕共享服务暂时不可用，请稍后再试")


def channel(process_id: str) -> str:
    return PREFIX + process_id


class Cluster:
    """This process's end of the media channels."""

    def __init__(self, redis_url: str, process_id: str, serve: Serve, timeout_s: float = 10.0) -> None:
        self.redis_url = redis_url
        self.process_id = process_id
        self.serve = serve
        self.timeout_s = timeout_s
        self._redis: Any = None
        self._pending: dict[str, asyncio.Future] = {}
        self._tasks: set[asyncio.Task] = set()
        self._listener: asyncio.Task | None = None

    async def start(self) -> None:
        """Subscribe to this process's channel (done before returning when Redis answers: reachable from
        then on; otherwise retried in the background, and other processes' requests fail meanwhile)."""
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(self.redis_url)
        try:
            pubsub = await self._subscribe()
        except (OSError, RedisError):
            log.warning("media channel: Redis unavailable at start; retrying", exc_info=True)
            pubsub = None
        self._listener = asyncio.create_task(self._listen(pubsub), name="media-cluster")

    async def _subscribe(self) -> Any:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(channel(self.process_id))
        return pubsub

    async def request(self, process_id: str, body: dict) -> dict:
        """Send `body` to `process_id` and return its answer; `media_unavailable` when it does not answer."""
        rid = uuid.uuid4().hex
        try:
            message = json.dumps({"id": rid, "from": self.process_id, "body": body}, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise media_unavailable() from exc
        future = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        try:
            if await self._redis.publish(channel(process_id), message) == 0:
                raise media_unavailable()
            return await asyncio.wait_for(future, self.timeout_s)
        except (TimeoutError, OSError, RedisError) as exc:
            raise media_unavailable() from exc
        finally:
            self._pending.pop(rid, None)

    async def _listen(self, pubsub: Any) -> None:
        while True:
            try:
                if pubsub is None:
                    pubsub = await self._subscribe()
                async for msg in pubsub.listen():
                    if msg.get("type") == "message":
                        self._received(msg["data"])
            except asyncio.CancelledError:
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
                raise
            except Exception:  # noqa: BLE001 - Redis away: resubscribe; requests meanwhile fail
                log.warning("media channel lost Redis; retrying", exc_info=True)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                pubsub = None
                await asyncio.sleep(1)

    def _received(self, raw: bytes | str) -> None:
        try:
            msg = json.loads(raw)
        except ValueError:
            log.warning("media channel: undecodable message dropped")
            return
        if "re" in msg:
            future = self._pending.get(msg["re"])
            if future is not None and not future.done():
                future.set_result(msg.get("result") or {})
            return
        task = asyncio.create_task(self._answer(msg))  # tasks start in arrival order
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, msg: dict) -> None:
        result = await self.serve(msg.get("body") or {})
        reply = json.dumps({"re": msg.get("id"), "result": result}, ensure_ascii=False, default=str)
        try:
            await self._redis.publish(channel(msg.get("from", "")), reply)
        except Exception:  # noqa: BLE001 - the asker times out with media_unavailable
            log.warning("media channel: reply not sent", exc_info=True)

    async def close(self) -> None:
        await cancel_and_wait(self._listener)
        for task in list(self._tasks):
            task.cancel()
        if self._redis is not None:
            await self._redis.aclose()

"""python-socketio's Redis client manager, letting the bridge observe the events it relays.

With several bridge processes every event passes through every process (Redis pub/sub). The
message store watches the `message` events go by and learns the seq other processes gave
(`MessageStore.observe`): when the user of a conversation writes through one bridge and its
agent through another, each process still numbers the next message right the first time
instead of colliding under the unique index and retrying.

How, without overriding private methods: the pub/sub manager hands every event it delivers in
this process (its own and those relayed from the others) to the plain manager's public
`emit(event, data, namespace, ...)`. `ObservingManager` overrides that `emit` and sits between
the two in the method order of `RedisManager`. python-socketio documents no hook for relayed
events, so the version range is pinned in requirements/app.txt and
tests/unit/test_sio_internals.py fails when that path changes.

Publishing: python-socketio sends each event with its own `PUBLISH`, concurrently, through the
Redis client's pool, which opens a new connection whenever all are busy. Under load (10,000
users, 400 msgs/s, two bridges) a backlog made hundreds of publishes wait at once, every new
connection cost a TCP connect, the client's handshake and a parse of the redis package's
metadata (`get_lib_version`), the backlog grew, and half of the bridge's time went into opening
connections. `RedisManager` overrides `_publish` (pinned the same way) with a group publish: the
events of this process go out in order through one pipeline at a time, each batch being what
arrived while the previous one was in flight (like the group commit of `write_batch.py`).

Receiving: every process receives every publish of the channel, its own included, and python-socketio
decodes each before it looks at the sender or the rooms. A message to a conversation (`emit_together`)
is published with a small header in front of its JSON (`#` + header + newline + body): the sender's
host id, the rooms per namespace and, for a `message` event, its conversation and seq. The listener
(`_listen`, pinned the same way) drops the process's own publishes and those addressed to rooms with
no socket here before decoding the body; of a dropped `message` it still tells the observers the
conversation and seq (the message store's numbering and `recent` rely on seeing every seq).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import socketio

from bridge.infra.metrics import RELAY, RELAYED
from bridge.infra.sio_packet import has_binary
from bridge.infra.sio_relay import ADDRESSED, Addressed, address

MessageObserver = Callable[[dict[str, Any]], None]
Emit = tuple[str, Any, str, Any, Any]  # event, data, namespace, room(s), skip_sid
MAX_PUBLISH_BATCH = 256
log = logging.getLogger("bangban.sio")


class ObservingManager(socketio.AsyncManager):
    """A manager that shows each `message` payload it delivers to this process's clients to observers."""

    def __init__(self) -> None:
        super().__init__()
        self.message_observers: list[MessageObserver] = []

    async def emit(self, event: str, data: Any, namespace: str | None, room: str | None = None,
                   skip_sid: Any = None, callback: Any = None, to: str | None = None, **kwargs: Any) -> Any:
        if event == "message" and isinstance(data, dict):
            for observe in self.message_observers:
                observe(data)
        return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                                  to=to, **kwargs)

    async def emit_together(self, emits: list[Emit]) -> None:
        """Emit several events (`Emit`: event, data, namespace, room, skip_sid), in order."""
        for event, data, namespace, room, skip_sid in emits:
            await self.emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid)


class RedisManager(socketio.AsyncRedisManager, ObservingManager):
    """python-socketio's Redis manager; `message_observers` see every message event delivered here;
    publishes go out in order, batched in pipelines, over one connection at a time."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self._outgoing: list[tuple[str, asyncio.Future[None]]] = []
        self._publisher: asyncio.Task[None] | None = None
        self.publish_batches = 0
        self.relayed_dropped = 0  # addressed publishes not decoded here (own, or no socket of their rooms)
        self._relayed = {k: RELAYED.labels(k) for k in ("decoded", "own", "not_here")}

    async def emit_together(self, emits: list[Emit]) -> None:
        """Emit several events (`Emit`: event, data, namespace, room, skip_sid) as ONE publish.

        Delivered to this process's clients at once, as `emit` does; the others receive one pub/sub
        message holding them all (python-socketio publishes each emit on its own, and every process
        receives and decodes each, its own included): a message to a conversation is two emits, the
        user's namespace and the staff's. Binary payloads are emitted one by one, as before.
        """
        if any(has_binary(e[1]) for e in emits):
            await super().emit_together(emits)
            return
        messages = [{"method": "emit", "event": event, "data": [data], "binary": False, "namespace": namespace,
                     "room": room, "skip_sid": skip_sid, "callback": None, "host_id": self.host_id}
                    for event, data, namespace, room, skip_sid in emits]
        for message in messages:
            await self._handle_emit(message)  # this process's clients
        body = self.json.dumps({"method": "emit", "together": messages, "host_id": self.host_id})
        await self._publish_text(address(self.host_id, emits) + body)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        """One relayed emit, or several published together (`emit_together`)."""
        for one in message.get("together") or [message]:
            await super()._handle_emit(one)

    async def _publish(self, data: Any) -> None:
        """Queue `data` for the other processes; return once its batch was sent (or given up, as
        python-socketio's own `_publish` does after a reconnection and a second attempt)."""
        await self._publish_text(self.json.dumps(data))

    async def _publish_text(self, text: str) -> None:
        fut = asyncio.get_running_loop().create_future()
        self._outgoing.append((text, fut))
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.create_task(self._publish_pending())
        await asyncio.shield(fut)  # a cancelled emitter does not cancel the others' batch

    async def _listen(self) -> Any:
        """The channel's messages for python-socketio's listener, less the addressed ones of no use here."""
        async for message in super()._listen():
            if isinstance(message, (bytes, str)) and message[:1] in (ADDRESSED, ADDRESSED.encode()):
                try:
                    addressed = Addressed.parse(message)
                except (ValueError, TypeError, KeyError, IndexError):
                    log.warning("unreadable relayed publish dropped: %r", message[:80])
                    continue
                dropped = self._dropped(addressed)
                if dropped:
                    self.relayed_dropped += 1
                    self._relayed[dropped].inc()
                    continue
                if addressed.published_at is not None:
                    RELAY.observe(max(0.0, time.time() - addressed.published_at))
                message = addressed.body
            self._relayed["decoded"].inc()
            yield message

    def _dropped(self, addressed: Addressed) -> str | None:
        """Why an addressed publish is not decoded here (`own`, `not_here`), or None."""
        if addressed.host_id == self.host_id:
            return "own"  # delivered here when it was published
        if addressed.reaches(self.rooms):
            return None
        if addressed.message is not None:
            for observe in self.message_observers:
                observe(addressed.message)
        return "not_here"

    async def _publish_pending(self) -> None:
        while self._outgoing:
            batch = self._outgoing[:MAX_PUBLISH_BATCH]
            del self._outgoing[:MAX_PUBLISH_BATCH]
            self.publish_batches += 1
            try:
                await self._send_batch([text for text, _ in batch])
            finally:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_result(None)

    async def _send_batch(self, texts: list[str]) -> None:
        for attempt in (1, 2):
            try:
                if not self.connected:
                    self._redis_connect()
                pipe = self.redis.pipeline(transaction=False)
                for text in texts:
                    pipe.publish(self.channel, text)
                await pipe.execute()
                return
            except Exception:  # noqa: BLE001 - like python-socketio: reconnect, retry once, then give up
                log.error("cannot publish %d events to redis (attempt %d)", len(texts), attempt, exc_info=True)
                self.connected = False

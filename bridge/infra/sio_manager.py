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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio

MessageObserver = Callable[[dict[str, Any]], None]


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


class RedisManager(socketio.AsyncRedisManager, ObservingManager):
    """python-socketio's Redis manager; `message_observers` see every message event delivered here."""

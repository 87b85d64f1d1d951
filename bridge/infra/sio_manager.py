"""python-socketio's Redis client manager, letting the bridge observe the events it relays.

With several bridge processes every event passes through every process (Redis pub/sub). The
message store watches the `message` events go by and learns the seq other processes gave
(`MessageStore.observe`): when the user of a conversation writes through one bridge and its
agent through another, each process still numbers the next message right the first time
instead of colliding under the unique index and retrying.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio


class RedisManager(socketio.AsyncRedisManager):
    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.message_observers: list[Callable[[dict[str, Any]], None]] = []

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("event") == "message" and self.message_observers:
            data = message.get("data")
            payload = data[0] if isinstance(data, list) and data else None
            if isinstance(payload, dict):
                for observe in self.message_observers:
                    observe(payload)
        await super()._handle_emit(message)

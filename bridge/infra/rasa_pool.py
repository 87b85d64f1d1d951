"""Several Rasa servers as one: each turn goes to the reachable server with the fewest requests in flight.

The servers share the tracker store (MongoDB) and a Redis lock store, so any of them can take any
turn; a conversation's turns stay in order because the bridge runs them one at a time per
conversation (bot_turns.py) and Rasa's lock store serialises them across servers. A server that
cannot be reached (refused, dropped connection) is taken out for `retry_after_s` and the turn is
tried once on another; after that time it gets turns again (and is out again if still down).
A timeout is not retried elsewhere: that server may have taken the turn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bridge.infra.metrics import RASA_TURNS
from bridge.infra.rasa_client import BotUnavailable, BotUnreachable, RasaClient


@dataclass
class _Server:
    client: RasaClient
    outstanding: int = 0
    out_until: float = 0.0
    turns: int = 0


class RasaPool:
    """The bot tier behind the bridge (same interface as `RasaClient`)."""

    def __init__(self, urls: list[str], timeout_s: float, token: str = "", retry_after_s: float = 5.0) -> None:
        self.servers = [_Server(RasaClient(u, timeout_s, token)) for u in urls]
        self.retry_after_s = retry_after_s

    def order(self, now: float | None = None) -> list[_Server]:
        """Servers to try: those in service by fewest requests in flight, then those taken out."""
        now = time.monotonic() if now is None else now
        up = [s for s in self.servers if s.out_until <= now]
        down = sorted((s for s in self.servers if s.out_until > now), key=lambda s: s.out_until)
        return sorted(up, key=lambda s: (s.outstanding, s.turns)) + down

    async def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """One user message through the least busy reachable server (one more try on another)."""
        last: BotUnavailable | None = None
        for server in self.order()[:2]:
            server.outstanding += 1
            try:
                outputs = await server.client.turn(sender, text, metadata)
            except BotUnreachable as exc:
                server.out_until = time.monotonic() + self.retry_after_s
                last = exc
                continue
            finally:
                server.outstanding -= 1
            server.turns += 1
            RASA_TURNS.labels(server.client.base_url).inc()
            return outputs
        raise last or BotUnavailable("no Rasa server")

    async def ready(self) -> bool:
        """True when at least one server is up with a model loaded."""
        for server in self.servers:
            if await server.client.ready():
                return True
        return False

    async def close(self) -> None:
        for server in self.servers:
            await server.client.close()

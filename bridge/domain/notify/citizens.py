"""Whether a citizen has a socket open on any bridge process, without a database read per question.

The truth stays in MongoDB (`user_sockets`, kept by `CitizenLimits` for the per-citizen socket cap and
cleaned of dead processes by `Presence`). Each process answers from what it knows:
- a socket of the citizen on this process (the Socket.IO rooms, `here`): connected;
- with several processes (Redis): every socket opened is announced on a Redis channel after its row is
  stored (`+user`), every socket closed after its row is removed (`-user`), a dead process's sockets
  after the reaper removed them (`*`). An announced opening is remembered as connected; a closing or a
  reaping forgets (the next question counts the rows once and remembers the answer). So an agent's reply
  to a citizen on another bridge costs nothing in the steady state, where it cost one `count` before;
- without Redis (one process) the rows are counted, as before.
What is remembered is forgotten when the subscription is lost (announcements may have been missed) and
after `TTL_S` at the latest; a count that was in flight when an announcement about the citizen arrived
is not remembered.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from bridge.infra.redis_events import ReadGuard, RedisEvents
from core.db import Store

CHANNEL = "bangban:citizen-sockets"
TTL_S = 600.0
EVERYONE = "*"


class CitizenPresence:
    def __init__(self, store: Store, redis_url: str = "", here: Callable[[str], bool] | None = None,
                 size: int = 200_000) -> None:
        self.store = store
        self.here = here or (lambda _user: False)
        self.size = size
        self._known: OrderedDict[str, tuple[float, bool]] = OrderedDict()
        self._events = RedisEvents(redis_url, CHANNEL, self._on_event, self._forget_all) if redis_url else None
        self._guard = ReadGuard()
        self.counts = 0  # database counts made (for tests and the benchmark's reading)

    async def connected(self, user_id: str) -> bool:
        """Whether the citizen has a socket open on any live bridge process."""
        if self.here(user_id):
            return True
        if self._events is None:
            return await self._count(user_id)
        self._events.start()
        entry = self._known.get(user_id)
        if entry is not None and time.monotonic() - entry[0] <= TTL_S:
            return entry[1]
        started = time.monotonic()
        connected = await self._count(user_id)
        if self._events.listening and self._guard.may_keep(user_id, started):
            self._remember(user_id, connected)
        return connected

    def start(self) -> None:
        """Subscribe now (at startup): announcements made before the subscription are not seen."""
        if self._events is not None:
            self._events.start()

    async def opened(self, user_id: str) -> None:
        """A socket of the citizen was counted (its row stored): tell every process."""
        await self._announce(f"+{user_id}")

    async def closed(self, user_id: str) -> None:
        """A socket of the citizen was released (its row removed): tell every process."""
        await self._announce(f"-{user_id}")

    async def reaped(self) -> None:
        """The sockets of dead processes were removed: every process forgets what it knows."""
        await self._announce(EVERYONE)

    async def close(self) -> None:
        if self._events is not None:
            await self._events.close()

    async def _announce(self, event: str) -> None:
        if self._events is not None:
            await self._events.publish(event)

    async def _count(self, user_id: str) -> bool:
        self.counts += 1
        return await self.store.user_sockets.count_documents({"user": user_id}, limit=1) > 0

    def _on_event(self, event: str) -> None:
        if event == EVERYONE:
            self._forget_all()
            return
        user_id = event[1:]
        self._guard.changed(user_id)
        if event[0] == "+":
            self._remember(user_id, True)
        else:
            self._known.pop(user_id, None)

    def _remember(self, user_id: str, connected: bool) -> None:
        self._known[user_id] = (time.monotonic(), connected)
        self._known.move_to_end(user_id)
        while len(self._known) > self.size:
            self._known.popitem(last=False)

    def _forget_all(self) -> None:
        self._known.clear()
        self._guard.cleared()

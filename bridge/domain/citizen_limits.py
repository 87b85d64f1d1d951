"""Per-citizen limits shared by every bridge process: sockets, open and new conversations, handoffs.

The counters live in MongoDB (`user_sockets`, `user_quotas`), so one citizen reaching several bridge
processes meets the same caps. A refusal is an `ApiError` with its contract code; nothing is counted.
Without Redis there is one bridge process (the Socket.IO manager and the conversation cache assume it too):
its citizens' sockets are then counted in its memory — the same cap, exact, without the two writes per
socket (a row inserted, then deleted) that several processes need to see each other's sockets.
"""

from __future__ import annotations

from bridge.domain.conversations import OPEN_STATES
from bridge.infra.coalesce import BatchReader
from bridge.infra.write_batch import InsertBatcher
from core.clock import now
from core.db import Store
from core.errors import ApiError
from core.ratelimit import SlotQuota
from core.settings import Settings

HOUR, DAY = 3600.0, 86400.0


class CitizenLimits:
    def __init__(self, store: Store, settings: Settings, process_id: str) -> None:
        self.store = store
        self.settings = settings
        self.process_id = process_id
        # one inserted slot per take (far cheaper than a counter's upsert); a burst's takes share commands
        self.quota = SlotQuota(store.user_quotas, insert=InsertBatcher(store.user_quotas).insert)
        # the open-conversation counts of a burst of new conversations share one read
        self._open = BatchReader(self._open_counts, default=0)
        # a burst of new citizens' sockets: their rows share insert commands, their counts one read
        self._socket_rows = InsertBatcher(store.user_sockets)
        self._sockets = BatchReader(self._socket_counts, default=0)
        # one process (no Redis): the sockets of each citizen, and the citizen of each socket
        self._local: dict[str, set[str]] | None = None if settings.redis_url else {}
        self._local_users: dict[str, str] = {}

    async def enter_socket(self, user_id: str, sid: str) -> None:
        """Count a new socket of `user_id`; refused (and not counted) past `USER_MAX_SOCKETS`.

        Sockets of a process that died without saying goodbye are removed with its other sessions
        (`Presence.reap_dead_processes`).
        """
        if self._local is not None:
            sockets = self._local.setdefault(user_id, set())
            if len(sockets) >= self.settings.user_max_sockets:
                raise ApiError(429, "too_many_sockets")
            sockets.add(sid)
            self._local_users[sid] = user_id
            return
        await self._socket_rows.insert({"_id": sid, "user": user_id, "process_id": self.process_id, "ts": now()})
        # read after the row is stored (by a read that starts after this call): it counts this socket and every
        # other one stored before, as the count of its own did
        if await self._sockets.get(user_id) > self.settings.user_max_sockets:
            await self.store.user_sockets.delete_one({"_id": sid})
            raise ApiError(429, "too_many_sockets")

    async def leave_socket(self, sid: str) -> None:
        if self._local is not None:
            user_id = self._local_users.pop(sid, None)
            sockets = self._local.get(user_id) if user_id is not None else None
            if sockets is not None:
                sockets.discard(sid)
                if not sockets:
                    del self._local[user_id]
            return
        await self.store.user_sockets.delete_one({"_id": sid})

    async def new_conversation(self, user_id: str) -> None:
        """Before a citizen's new conversation: open conversations and the hourly count within their caps."""
        s = self.settings
        open_count = await self._open.get(user_id)
        if open_count >= s.user_max_open_conversations:
            raise ApiError(429, "too_many_conversations")
        if not await self.quota.take(f"conv:{user_id}", s.user_new_conversations_per_hour, HOUR):
            raise ApiError(429, "quota_exceeded", scope="conversations_per_hour")

    async def _socket_counts(self, user_ids: list[str]) -> dict[str, int]:
        """How many sockets each of `user_ids` has open on live processes."""
        counts: dict[str, int] = {}
        async for doc in self.store.user_sockets.find({"user": {"$in": user_ids}}, {"user": 1}):
            counts[doc["user"]] = counts.get(doc["user"], 0) + 1
        return counts

    async def _open_counts(self, user_ids: list[str]) -> dict[str, int]:
        """How many open conversations each of `user_ids` has."""
        counts: dict[str, int] = {}
        async for doc in self.store.conversations.find(
                {"user.id": {"$in": user_ids}, "state": {"$in": list(OPEN_STATES)}}, {"user.id": 1}):
            counts[doc["user"]["id"]] = counts.get(doc["user"]["id"], 0) + 1
        return counts

    async def handoff(self, user_id: str) -> None:
        """Count a citizen's request for a human; refused past `USER_HANDOFFS_PER_HOUR`."""
        if not await self.quota.take(f"handoff:{user_id}", self.settings.user_handoffs_per_hour, HOUR):
            raise ApiError(429, "quota_exceeded", scope="handoffs_per_hour")

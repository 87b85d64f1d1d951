"""Agent presence across bridge processes: sessions per socket, heartbeats per process.

Each bridge process records its agent sockets in `sessions` and beats in
`processes`; the sessions of a process that stopped beating (killed) are removed
by any other process, so an agent counts as connected only while a live socket
exists somewhere.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Awaitable, Callable

from core.clock import now
from core.db import Store

DEAD_AFTER_S = 15.0


class Presence:
    def __init__(self, store: Store, dead_after_s: float = DEAD_AFTER_S) -> None:
        self.store = store
        self.dead_after_s = dead_after_s
        self.process_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # told after the citizens' sockets of dead processes were removed (`notify/citizens.py`)
        self.sockets_reaped: list[Callable[[], Awaitable[None]]] = []

    async def heartbeat(self) -> None:
        await self.store.processes.update_one({"_id": self.process_id}, {"$set": {"seen": now()}}, upsert=True)

    async def reap_dead_processes(self) -> int:
        """Remove the staff sessions and citizen sockets of processes that stopped beating; count the processes."""
        limit = now() - dt.timedelta(seconds=self.dead_after_s)
        dead = await self.store.processes.find({"seen": {"$lt": limit}}).to_list(None)
        for proc in dead:
            affected = await self.store.sessions.distinct("agent_id", {"process_id": proc["_id"]})
            await self.store.sessions.delete_many({"process_id": proc["_id"]})
            await self.store.user_sockets.delete_many({"process_id": proc["_id"]})  # citizens' socket counts
            await self.store.processes.delete_one({"_id": proc["_id"]})
            for agent_id in affected:
                await self._mark_if_gone(agent_id)
        if dead:
            for hook in self.sockets_reaped:
                await hook()
        return len(dead)

    async def live_process_ids(self) -> set[str]:
        """Bridge processes that beat within the dead timeout (this one included once it has beaten)."""
        limit = now() - dt.timedelta(seconds=self.dead_after_s)
        return set(await self.store.processes.distinct("_id", {"seen": {"$gte": limit}}))

    async def connected(self, sid: str, agent_id: str) -> None:
        await self.store.sessions.insert_one({"_id": sid, "agent_id": agent_id, "process_id": self.process_id,
                                              "ts": now()})
        await self.store.agents.update_one({"_id": agent_id}, {"$set": {"disconnected_at": None}})

    async def disconnected(self, sid: str, agent_id: str) -> None:
        await self.store.sessions.delete_one({"_id": sid})
        await self._mark_if_gone(agent_id)

    async def _mark_if_gone(self, agent_id: str) -> None:
        if await self.store.sessions.count_documents({"agent_id": agent_id}, limit=1) == 0:
            await self.store.agents.update_one(
                {"_id": agent_id, "disconnected_at": None}, {"$set": {"disconnected_at": now()}}
            )

    async def set_status(self, agent_id: str, status: str) -> dict | None:
        await self.store.agents.update_one({"_id": agent_id}, {"$set": {"status": status, "status_at": now()}})
        return await self.store.agents.find_one({"_id": agent_id})

    async def shutdown(self) -> None:
        """Clean exit: drop this process's sessions now rather than after the dead timeout."""
        affected = await self.store.sessions.distinct("agent_id", {"process_id": self.process_id})
        await self.store.sessions.delete_many({"process_id": self.process_id})
        await self.store.processes.delete_one({"_id": self.process_id})
        for agent_id in affected:
            await self._mark_if_gone(agent_id)

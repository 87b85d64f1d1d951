"""Calls and co-browse across several bridge processes (started only when Redis is configured).

- events for a session held by another process are forwarded to it (`Hub.on`, `media.cluster`);
- a conversation that ends here ends its sessions held elsewhere (forwarded `end`);
- every few seconds each process ends the sessions of owners that stopped beating (`Presence`,
  `PROCESS_DEAD_S`): one process wins the guarded delete of each and tells both sides;
- a process that finds its own entries gone (it was taken for dead) drops those sessions quietly.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from core.errors import ApiError
from core.tasks import cancel_and_wait
from media.cluster import Cluster
from media.owners import Owners
from media.port import DeskPort

if TYPE_CHECKING:
    from media.signalling import MediaHub

log = logging.getLogger(__name__)
NEW_SESSION_GRACE_S = 5.0  # a session is claimed just after it exists locally


class ScaleOut:
    """This process's part in sharing calls and co-browse sessions with the other bridge processes."""

    def __init__(self, media: MediaHub, redis_url: str, desk: DeskPort, timeout_s: float = 10.0) -> None:
        self.media = media
        self.desk = desk
        self.dead_after_s = float(desk.process_dead_s)
        self.owners = Owners(desk.collections.media_sessions, desk.process_id)
        self.cluster = Cluster(redis_url, desk.process_id, self.serve, timeout_s)
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.cluster.start()
        self.media.hub.owners, self.media.hub.cluster = self.owners, self.cluster
        self._task = asyncio.create_task(self._watch(), name="media-owners")

    async def serve(self, body: dict) -> dict:
        """Answer a request of another process."""
        if body.get("op") == "event":
            return await self.media.hub.serve_event(body)
        if body.get("op") == "end":
            await self.media.end_local(str(body.get("conversation_id")), str(body.get("reason")))
            return {"ok": True}
        return {"ok": False, "error": {"code": "bad_request", "message": "未知的操作"}}

    async def end_elsewhere(self, conversation_id: str, reason: str) -> None:
        """Ask the processes holding the conversation's sessions to end them."""
        for owner in {doc["process_id"] for doc in await self.owners.elsewhere(conversation_id)}:
            try:
                await self.cluster.request(owner, {"op": "end", "conversation_id": conversation_id,
                                                   "reason": reason})
            except ApiError:  # a stopped owner's sessions are ended by `sweep` once it counts as dead
                log.warning("media sessions of %s: owner %s did not answer", conversation_id, owner)

    async def sweep(self) -> None:
        """End the sessions of dead owners; drop local sessions whose entry another process removed."""
        live = await self.desk.live_process_ids()
        for doc in await self.owners.orphans(live, self.dead_after_s):
            if await self.owners.take(doc):
                log.info("media session %s of lost process %s ended", doc["_id"], doc["process_id"])
                hub = self.media.calls if doc["kind"] == "call" else self.media.cobrowse
                await hub.end_orphan(doc)
        held = {doc["session_id"] for doc in await self.owners.mine()}
        before = time.monotonic() - NEW_SESSION_GRACE_S
        calls = [c.conversation_id for c in self.media.calls.calls.values() if c.id not in held and c.created < before]
        sessions = [s.conversation_id for s in self.media.cobrowse.by_conv.values()
                    if s.id not in held and s.created < before]
        for conversation_id in calls:
            await self.media.calls.end_for_conversation(conversation_id, "connection_lost")
        for conversation_id in sessions:
            await self.media.cobrowse.end_for_conversation(conversation_id, "connection_lost")

    async def _watch(self) -> None:
        interval = min(2.0, max(0.5, self.dead_after_s / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - database away: next round
                log.warning("media owners sweep failed", exc_info=True)

    async def close(self) -> None:
        """Clean exit: end this process's sessions (both sides are told), then leave the channels."""
        await cancel_and_wait(self._task)
        log.info("media: ending %d calls and %d co-browse sessions on shutdown",
                 len(self.media.calls.by_conv), len(self.media.cobrowse.by_conv))
        for conversation_id in list(self.media.calls.by_conv):
            await self.media.calls.end_for_conversation(conversation_id, "connection_lost")
        for conversation_id in list(self.media.cobrowse.by_conv):
            await self.media.cobrowse.end_for_conversation(conversation_id, "connection_lost")
        self.media.hub.owners = self.media.hub.cluster = None
        await self.cluster.close()

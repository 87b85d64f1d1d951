"""Which bridge process holds each call and co-browse session (collection `media_sessions`).

Used only with several bridge processes. One document per live session, `_id` = `<kind>:<conversation
id>`, so that a conversation has at most one call and one co-browse session across all processes:
the process that starts a session claims it (insert), notes its state changes and removes the
document when the session ends. Other processes look up the owner to forward events to it, and end
the sessions of an owner that stopped beating (`Presence`, `PROCESS_DEAD_S`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pymongo.errors import DuplicateKeyError

from core.clock import now
from media.cluster import media_unavailable

log = logging.getLogger(__name__)


def key(kind: str, conversation_id: str) -> str:
    return f"{kind}:{conversation_id}"


class Owners:
    """The `media_sessions` documents, seen from one process."""

    def __init__(self, collection: Any, process_id: str) -> None:
        self.col = collection
        self.process_id = process_id

    async def claim(self, kind: str, conversation_id: str, session_id: str, fields: dict) -> str | None:
        """Record this process as owner: None when done, else the owning process id.

        Callers claim only when they hold no session of `kind` for the conversation, so a document
        naming this process is stale (a failed removal) and is replaced.
        """
        doc = {"_id": key(kind, conversation_id), "kind": kind, "conversation_id": conversation_id,
               "session_id": session_id, "process_id": self.process_id, "created_at": now(), **fields}
        for _ in range(3):
            try:
                await self.col.insert_one(doc)
                return None
            except DuplicateKeyError:
                pass
            current = await self.col.find_one({"_id": doc["_id"]})
            if current is None:
                continue  # removed meanwhile: try again
            if current["process_id"] != self.process_id:
                return current["process_id"]
            if (await self.col.replace_one({"_id": doc["_id"], "process_id": self.process_id}, doc)).matched_count:
                return None
        raise media_unavailable()

    async def owner(self, kind: str, conversation_id: str) -> str | None:
        """The process holding the conversation's session of `kind` when it is another one."""
        doc = await self.col.find_one({"_id": key(kind, conversation_id)}, {"process_id": 1})
        return self._other(doc)

    async def owner_of_session(self, kind: str, session_id: str) -> str | None:
        doc = await self.col.find_one({"session_id": session_id, "kind": kind}, {"process_id": 1})
        return self._other(doc)

    def _other(self, doc: dict | None) -> str | None:
        if doc is None or doc["process_id"] == self.process_id:
            return None
        return doc["process_id"]

    async def note(self, kind: str, conversation_id: str, session_id: str, **fields: Any) -> None:
        """Record a state change (best effort: only the report of a lost owner uses it)."""
        try:
            await self.col.update_one({"_id": key(kind, conversation_id), "session_id": session_id},
                                      {"$set": fields})
        except Exception:  # noqa: BLE001
            log.warning("media_sessions update failed", exc_info=True)

    async def release(self, kind: str, conversation_id: str, session_id: str) -> bool:
        """Remove the entry of an ended session; False when it was already gone (another process took
        this one for dead and reported the end)."""
        try:
            res = await self.col.delete_one({"_id": key(kind, conversation_id), "session_id": session_id})
        except Exception:  # noqa: BLE001 - a stale entry is replaced by the next claim or reconciled
            log.warning("media_sessions delete failed", exc_info=True)
            return True
        return res.deleted_count == 1

    async def elsewhere(self, conversation_id: str) -> list[dict]:
        """The conversation's sessions held by other processes."""
        return await self.col.find({"conversation_id": conversation_id,
                                    "process_id": {"$ne": self.process_id}}).to_list(None)

    async def mine(self) -> list[dict]:
        return await self.col.find({"process_id": self.process_id}).to_list(None)

    async def orphans(self, live: set[str], dead_after_s: float) -> list[dict]:
        """Sessions of processes not in `live`, older than `dead_after_s` (a new owner may not have beaten yet)."""
        before = now() - dt.timedelta(seconds=dead_after_s)
        return await self.col.find({"process_id": {"$nin": sorted(live | {self.process_id})},
                                    "created_at": {"$lt": before}}).to_list(None)

    async def take(self, doc: dict) -> bool:
        """Remove `doc` if it is unchanged; True for the one process that did (it reports the end)."""
        res = await self.col.delete_one({"_id": doc["_id"], "session_id": doc["session_id"],
                                         "process_id": doc["process_id"]})
        return res.deleted_count == 1

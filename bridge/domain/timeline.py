"""Every state change of a conversation, stored as a timeline entry (who, when, why).

Entries of one moment (a handoff straight to an agent: `handoff` and `assigned`) are one document:
`event` lists their names (so a query for one event finds the document, on MongoDB and the embedded
database alike) and `entries` holds them. A conversation's `created` entry is not stored: the
conversation document holds what it said (`created_at`, the user, `channel`, `created_matter`), and
`of()` puts it first — one insert less per new conversation.
"""

from __future__ import annotations

from typing import Any

from bridge.infra.write_batch import InsertBatcher
from core.clock import iso, now
from core.db import Store

LINGER_S = 0.005
SYSTEM = {"role": "system", "id": "system"}


def created_entry(conv: dict) -> dict[str, Any]:
    """The `created` entry of a conversation, from its own document."""
    return {"ts": iso(conv.get("created_at")), "event": "created",
            "by": {"role": "user", "id": conv["user"]["id"]},
            "detail": {"channel": conv.get("channel"), "matter": conv.get("created_matter", conv.get("matter"))}}


def entries_of(doc: dict) -> list[dict[str, Any]]:
    """The entries a stored timeline document holds (one, or several of one moment)."""
    ts = iso(doc["ts"])
    if "entries" in doc:
        return [{"ts": ts, "event": e["event"], "by": e["by"], "detail": e.get("detail", {})} for e in doc["entries"]]
    return [{"ts": ts, "event": doc["event"], "by": doc["by"], "detail": doc.get("detail", {})}]


class Timeline:
    def __init__(self, store: Store) -> None:
        self.store = store
        # a burst of handoffs shares insert commands (waiting a few ms for each other under load)
        self._inserts = InsertBatcher(store.timeline, linger_s=LINGER_S)

    async def add(self, conversation_id: str, event: str, by: dict | None, detail: dict | None = None) -> None:
        await self._inserts.insert(
            {"conversation_id": conversation_id, "ts": now(), "event": event, "by": by or SYSTEM,
             "detail": detail or {}}
        )

    async def add_many(self, conversation_id: str, events: list[tuple[str, dict | None, dict | None]]) -> None:
        """Several entries (event, by, detail) of one moment, in one document."""
        if len(events) == 1:
            await self.add(conversation_id, *events[0])
            return
        await self._inserts.insert(
            {"conversation_id": conversation_id, "ts": now(), "event": [event for event, _, _ in events],
             "entries": [{"event": event, "by": by or SYSTEM, "detail": detail or {}} for event, by, detail in events]})

    async def of(self, conv: dict) -> list[dict[str, Any]]:
        """The conversation's entries, oldest first (its `created` entry first)."""
        docs = await self.store.timeline.find({"conversation_id": conv["_id"]}, sort=[("ts", 1)]).to_list(None)
        entries = [e for d in docs for e in entries_of(d)]
        if not any(e["event"] == "created" for e in entries):  # stored before the entry moved to the conversation
            entries.insert(0, created_entry(conv))
        return entries

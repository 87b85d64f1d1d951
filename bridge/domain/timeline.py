"""Every state change of a conversation and what happened around it (who, when, why).

A conversation's state changes are kept on the conversation itself, in its `timeline` array: the
guarded write of a transition appends its entries (`Conversations.transition`), so a handoff writes
no timeline document of its own. Its `created` entry is read from the conversation (`created_at`,
the user, `channel`, `created_matter`). Everything else (notifications, calls, co-browse, ratings,
12345 ticket updates) is a document of the `timeline` collection (`add`). `of()` shows them together,
oldest first. Conversations stored before this kept their state changes and `created` entry as
documents: those are shown as stored.
"""

from __future__ import annotations

from typing import Any

from bridge.infra.write_batch import InsertBatcher
from core.clock import iso, now
from core.db import Store

LINGER_S = 0.005
SYSTEM = {"role": "system", "id": "system"}
FIELD = "timeline"  # the conversation's own entries


def entry(event: str, by: dict | None, detail: dict | None, ts: Any = None) -> dict[str, Any]:
    """One timeline entry (stored shape: `ts` a datetime)."""
    return {"ts": ts or now(), "event": event, "by": by or SYSTEM, "detail": detail or {}}


def created_entry(conv: dict) -> dict[str, Any]:
    """The `created` entry of a conversation, from its own document."""
    return entry("created", {"role": "user", "id": conv["user"]["id"]},
                 {"channel": conv.get("channel"), "matter": conv.get("created_matter", conv.get("matter"))},
                 conv.get("created_at"))


class Timeline:
    def __init__(self, store: Store) -> None:
        self.store = store
        # a burst of writers shares insert commands (waiting a few ms for each other under load)
        self._inserts = InsertBatcher(store.timeline, linger_s=LINGER_S)

    async def add(self, conversation_id: str, event: str, by: dict | None, detail: dict | None = None) -> None:
        await self._inserts.insert({"conversation_id": conversation_id, **entry(event, by, detail)})

    async def of(self, conv: dict) -> list[dict[str, Any]]:
        """The conversation's entries, oldest first (its `created` entry first)."""
        docs = await self.store.timeline.find({"conversation_id": conv["_id"]}, sort=[("ts", 1)]).to_list(None)
        entries = [*conv.get(FIELD, []), *docs]
        if not any(e["event"] == "created" for e in docs):  # stored as a document before the change
            entries.insert(0, created_entry(conv))
        entries.sort(key=lambda e: e["ts"])  # stable: the entries of one moment keep their order
        return [{"ts": iso(e["ts"]), "event": e["event"], "by": e["by"], "detail": e.get("detail", {})}
                for e in entries]

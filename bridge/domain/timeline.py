"""Every state change of a conversation, stored as a timeline entry (who, when, why)."""

from __future__ import annotations

from typing import Any

from bridge.infra.write_batch import InsertBatcher
from core.clock import iso, now
from core.db import Store

LINGER_S = 0.005


class Timeline:
    def __init__(self, store: Store) -> None:
        self.store = store
        # a burst of handoffs shares insert commands (waiting a few ms for each other under load)
        self._inserts = InsertBatcher(store.timeline, linger_s=LINGER_S)

    async def add(self, conversation_id: str, event: str, by: dict | None, detail: dict | None = None) -> None:
        await self._inserts.insert(
            {"conversation_id": conversation_id, "ts": now(), "event": event,
             "by": by or {"role": "system", "id": "system"}, "detail": detail or {}}
        )

    async def add_many(self, conversation_id: str, events: list[tuple[str, dict | None, dict | None]]) -> None:
        """Several entries (event, by, detail) of one moment, in one batch."""
        t = now()
        await self._inserts.insert_many(
            [{"conversation_id": conversation_id, "ts": t, "event": event,
              "by": by or {"role": "system", "id": "system"}, "detail": detail or {}} for event, by, detail in events])

    async def of(self, conversation_id: str) -> list[dict[str, Any]]:
        docs = await self.store.timeline.find({"conversation_id": conversation_id}, sort=[("ts", 1)]).to_list(None)
        return [{"ts": iso(d["ts"]), "event": d["event"], "by": d["by"], "detail": d.get("detail", {})} for d in docs]

"""The catalogue revision in MongoDB: matters authored in the trainer console reach every process.

The files under `data/catalogue/` are read once per process (`core.catalogue`). When the trainer
console creates, edits or retires a matter it writes the files of its project and records the
matter's entry in the `kb_meta` document `catalogue` (`{rev, matters: {id: entry}}`). Every bridge
process (a 1-second background loop) and the action server (before it builds its brain) call
`follow`, which lays those entries over the file catalogue in place, so every holder of the
`Catalogue` object sees the new matter without a restart. Nothing lives in one process's memory only.
"""

from __future__ import annotations

import time
from typing import Any

from core import clock
from core.catalogue import Catalogue, Matter

CATALOGUE_ID = "catalogue"
CHECK_EVERY_S = 1.0
_seen: dict[int, tuple[Any, float]] = {}  # id(catalogue) -> (revision applied, last check)


def entry_of(matter: Matter) -> dict[str, Any]:
    """The stored form of a catalogue matter."""
    return {"id": matter.id, "name": matter.name, "kind": matter.kind, "department": matter.department,
            "retired": matter.retired}


def overlay(catalogue: Catalogue, entries: dict[str, dict[str, Any]]) -> list[str]:
    """Lay the stored entries over `catalogue.matters` in place; returns the ids skipped (unknown department)."""
    skipped = []
    for mid, e in entries.items():
        if e.get("department") not in catalogue.departments:
            skipped.append(mid)
            continue
        catalogue.matters[mid] = Matter(mid, str(e["name"]), str(e.get("kind") or "person"), e["department"],
                                        bool(e.get("retired")))
    return skipped


async def record(store, matter: Matter) -> int:
    """Store `matter`'s entry and bump the catalogue revision; returns the new revision."""
    await store.kb_meta.update_one(
        {"_id": CATALOGUE_ID},
        {"$inc": {"rev": 1}, "$set": {f"matters.{matter.id}": entry_of(matter), "updated_at": clock.now()}},
        upsert=True,
    )
    doc = await store.kb_meta.find_one({"_id": CATALOGUE_ID}, {"rev": 1})
    return int(doc["rev"])


async def follow(store, *catalogues: Catalogue, force: bool = False) -> bool:
    """Apply the stored revision to each catalogue when it changed (checked at most once a second)."""
    now = time.monotonic()
    due = [c for c in catalogues if force or now - _seen.get(id(c), (None, -CHECK_EVERY_S))[1] >= CHECK_EVERY_S]
    if not due:
        return False
    doc = await store.kb_meta.find_one({"_id": CATALOGUE_ID})
    changed = False
    for c in due:
        rev = (doc or {}).get("rev")
        if rev is not None and _seen.get(id(c), (None, 0.0))[0] != rev:
            overlay(c, (doc or {}).get("matters") or {})
            changed = True
        _seen[id(c)] = (rev, now)
    return changed

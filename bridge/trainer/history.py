"""The trainer's change history (`trainer_history`): who, when, what, and a unified diff."""

from __future__ import annotations

import difflib
import uuid
from typing import Any

from bridge.domain.auth import Principal
from core.clock import iso, now
from core.db import Store

MAX_DIFF = 20000


def unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{path}", tofile=f"b/{path}", n=2)
    return "".join(lines)[:MAX_DIFF]


async def record(store: Store, who: Principal, action: str, target: str, summary: str,
                 diffs: dict[str, tuple[str, str]] | None = None, detail: dict | None = None) -> str:
    """Store one history entry; `diffs` maps a path to its (before, after) text."""
    entry_id = uuid.uuid4().hex
    await store.trainer_history.insert_one({
        "_id": entry_id, "ts": now(), "by": {"id": who.id, "name": who.name, "role": who.role},
        "action": action, "target": target, "summary": summary,
        "diff": "".join(unified_diff(p, b, a) for p, (b, a) in (diffs or {}).items()),
        "detail": detail or {},
    })
    return entry_id


def wire(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], "ts": iso(doc["ts"]), "by": doc["by"], "action": doc["action"],
            "target": doc["target"], "summary": doc["summary"], "diff": doc.get("diff", ""),
            "detail": doc.get("detail", {})}

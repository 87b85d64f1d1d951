"""The audit trail of staff reads of personal information: transcripts, call recordings, exports."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from core.clock import now

READ = "staff_read"  # the `kind` of these entries in the `audit` collection


async def audit_read(audit: AsyncCollection, who: Any, what: str, target: str, **detail: Any) -> None:
    """Record that staff member `who` (a principal) read `what` (`transcript`, `recording`, `export`) of `target`."""
    if getattr(who, "role", "user") == "user":
        return  # citizens reading their own conversation are not audited
    await audit.insert_one({"kind": READ, "what": what, "target": target, "ts": now(), **detail,
                            "by": {"id": who.id, "role": who.role, "name": getattr(who, "name", None)}})

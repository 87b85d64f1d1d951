"""The JSON shapes of the 12345 knowledge exchange and its conflict rule (docs/hotline-exchange.md)."""

from __future__ import annotations

from typing import Any

from core.clock import iso

EXPORTED = ("matter", "matter_name", "department", "aspect", "title", "question", "answer", "source",
            "effective_date", "policy_effective_date")


def article_export(doc: dict[str, Any], status: str) -> dict[str, Any]:
    """One exported article version: `live` (in force today) or `scheduled` (waits for its policy date)."""
    out = {"id": str(doc.get("article_id") or doc["_id"]), "version": int(doc.get("version") or 1),
           "status": status, **{k: doc.get(k) for k in EXPORTED}, "steps": list(doc.get("steps") or []),
           "updated_at": iso(doc.get("updated_at") or doc.get("published_at"))}
    return out


def batch_wire(b: dict[str, Any]) -> dict[str, Any]:
    return {"id": b["_id"], "state": b["state"], "count": b["count"], "since": iso(b.get("since")),
            "until": iso(b.get("until")), "attempts": b.get("attempts", 0), "last_error": b.get("last_error"),
            "by": b.get("by"), "created_at": iso(b.get("created_at")), "delivered_at": iso(b.get("delivered_at"))}


def answer_outcome(answer: dict[str, Any], ours: dict[str, Any] | None) -> tuple[str, str]:
    """("drafted" | "stale", why) for a hotline answer about our article `ours` (None: new or unknown).

    Stale when our article is newer: the answer was based on an older version than our live one,
    or its effective date is before our version's effective date.
    """
    if ours is None:
        return "drafted", "new"
    ours_v, base = int(ours.get("version") or 1), int(answer.get("base_version") or 0)
    if base < ours_v:
        return "stale", f"based on version {base}, ours is {ours_v}"
    theirs_day, ours_day = str(answer.get("effective_date") or ""), str(ours.get("effective_date") or "")
    if theirs_day and ours_day and theirs_day < ours_day:
        return "stale", f"effective {theirs_day}, ours {ours_day}"
    return "drafted", "newer"

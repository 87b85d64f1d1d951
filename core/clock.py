"""Time helpers: one notion of 'now' and one wire format for timestamps."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """Current UTC time, millisecond precision (what MongoDB stores)."""
    t = dt.datetime.now(dt.UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def iso(t: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a Z, or None."""
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

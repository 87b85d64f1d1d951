"""Time helpers: one notion of 'now' and one wire format for timestamps.

`now()` asks the process clock, the system clock unless `use_clock` put another in its place
(a `ControlledClock` in tests of scheduled work: a policy version that takes effect tomorrow).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ControlledClock:
    """A clock that stands still until it is set or advanced."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._t = start or dt.datetime.now(dt.UTC)

    def now(self) -> dt.datetime:
        return self._t

    def set(self, t: dt.datetime) -> None:
        self._t = t

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        self._t += delta
        return self._t


_clock: Clock = SystemClock()


def use_clock(clock: Clock | None) -> Clock:
    """Make `clock` the process clock (None: the system clock again); returns the previous one."""
    global _clock
    previous, _clock = _clock, clock or SystemClock()
    return previous


def now() -> dt.datetime:
    """Current UTC time, millisecond precision (what MongoDB stores)."""
    t = _clock.now().astimezone(dt.UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def iso(t: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a Z, or None."""
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

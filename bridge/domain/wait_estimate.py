"""How long a queued citizen may wait: the department's measured handling time over its online capacity.

The handling time of a conversation is `closed_at - assigned_at`; a department's is the median of its
last `SAMPLE` conversations closed within `WINDOW`. Agents handle several conversations at once, so a
queue moves by one place every `handling / capacity` seconds, where capacity is the sum of the online
agents' slots. With too few measurements the fallback handling time is used.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Sequence

from core.clock import now
from core.db import Store

FALLBACK_HANDLE_S = 90.0  # no measurement yet: a short consultation
MIN_SAMPLES = 3
SAMPLE = 50
WINDOW = dt.timedelta(days=7)
BOUNDS_S = (30.0, 3600.0)  # a measured median outside this is clamped (a stuck or instant close)
CACHE_S = 60.0


def handling_seconds(closed: Sequence[dict]) -> float:
    """Median handling time of closed conversations (`assigned_at`, `closed_at`); the fallback when too few."""
    spans = [(c["closed_at"] - c["assigned_at"]).total_seconds() for c in closed
             if c.get("assigned_at") and c.get("closed_at") and c["closed_at"] >= c["assigned_at"]]
    if len(spans) < MIN_SAMPLES:
        return FALLBACK_HANDLE_S
    low, high = BOUNDS_S
    return min(high, max(low, statistics.median(spans)))


def wait_seconds(position: int, handle_s: float, capacity: int) -> int:
    """Seconds until `position` is served when `capacity` slots each free up every `handle_s` seconds.

    Nobody online (capacity 0): one conversation at a time, as when the first agent comes online.
    """
    return int(round(position * handle_s / max(1, capacity)))


class WaitEstimator:
    """Measured handling time per department, cached for `CACHE_S` in this process."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[float, float]] = {}  # department -> (monotonic time, handling s)

    async def handling(self, department: str) -> float:
        """The department's current handling time in seconds (measured, or the fallback)."""
        hit = self._cache.get(department)
        if hit and time.monotonic() - hit[0] < CACHE_S:
            return hit[1]
        closed = await self.store.conversations.find(
            {"state": "closed", "department": department, "closed_at": {"$gte": now() - WINDOW},
             "assigned_at": {"$ne": None}},
            {"assigned_at": 1, "closed_at": 1}, sort=[("closed_at", -1)], limit=SAMPLE,
        ).to_list(None)
        value = handling_seconds(closed)
        self._cache[department] = (time.monotonic(), value)
        return value

    async def estimate(self, department: str, position: int, capacity: int) -> int:
        """Seconds the citizen at `position` may wait with `capacity` online slots."""
        return wait_seconds(position, await self.handling(department), capacity)

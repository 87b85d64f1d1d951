"""Per-connection token buckets against event floods."""

from __future__ import annotations

import time


class RateLimiter:
    def __init__(self, per_10s: int) -> None:
        self.rate = per_10s / 10.0
        self.burst = float(per_10s)
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str, cost: float = 1.0) -> bool:
        t = time.monotonic()
        tokens, last = self._buckets.get(key, (self.burst, t))
        tokens = min(self.burst, tokens + (t - last) * self.rate)
        if tokens < cost:
            self._buckets[key] = (tokens, t)
            return False
        self._buckets[key] = (tokens - cost, t)
        return True

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

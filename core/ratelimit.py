"""Token buckets against floods: per connection (socket events) or per session (co-browse relays)."""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    """One token bucket per key: `per_10s / 10` tokens a second, at most `burst` (default `per_10s`) saved up."""

    def __init__(self, per_10s: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_10s / 10.0
        self.burst = float(per_10s if burst is None else burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    @classmethod
    def per_second(cls, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> RateLimiter:
        """`rate` tokens a second, at most `burst` saved up."""
        return cls(rate * 10.0, burst, clock)

    def allow(self, key: str = "", cost: float = 1.0) -> bool:
        """Take `cost` tokens from the bucket of `key`; False (nothing taken) when too few are left."""
        t = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, t))
        tokens = min(self.burst, tokens + (t - last) * self.rate)
        if tokens < cost:
            self._buckets[key] = (tokens, t)
            return False
        self._buckets[key] = (tokens - cost, t)
        return True

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

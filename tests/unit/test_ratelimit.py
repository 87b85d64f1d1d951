"""The token buckets' pruning (media keeps one bucket per socket) in core/ratelimit.py."""

from __future__ import annotations

from core.ratelimit import RateLimiter


def test_idle_buckets_are_pruned_and_busy_ones_kept():
    t = [0.0]
    limiter = RateLimiter.per_second(1.0, 2.0, clock=lambda: t[0])
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")
    t[0] = 1.5  # "b" has refilled, "a" has not
    limiter.prune_idle()
    assert len(limiter) == 1
    assert limiter.allow("a") and not limiter.allow("a")  # "a" kept its (low) level

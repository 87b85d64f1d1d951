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


def test_retry_after_is_the_time_until_a_token_is_back():
    t = [0.0]
    limiter = RateLimiter(20 / 6.0, burst=20, clock=lambda: t[0])  # 20 a minute
    assert limiter.retry_after("a") == 0.0
    assert all(limiter.allow("a") for _ in range(20)) and not limiter.allow("a")
    assert abs(limiter.retry_after("a") - 3.0) < 1e-9
    t[0] = 3.0
    assert limiter.retry_after("a") == 0.0 and limiter.allow("a")

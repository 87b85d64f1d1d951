"""Token buckets against floods (per connection or session) and window quotas shared across processes."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError


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

    def retry_after(self, key: str = "", cost: float = 1.0) -> float:
        """Seconds until the bucket of `key` holds `cost` tokens again (0 when it does now)."""
        t = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, t))
        tokens = min(self.burst, tokens + (t - last) * self.rate)
        return max(0.0, (cost - tokens) / self.rate) if self.rate > 0 else float("inf")

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

    def __len__(self) -> int:
        return len(self._buckets)

    def prune_idle(self) -> None:
        """Drop the buckets that have refilled completely (their keys are as good as new)."""
        t = self.clock()
        full = [k for k, (tokens, last) in self._buckets.items() if tokens + (t - last) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]


class WindowQuota:
    """Counters per key and fixed time window, shared by every process through one MongoDB collection.

    Each window is one document `{_id: "<key>:<window start>", n, expires_at}`; `expires_at` carries a TTL
    index so old windows disappear by themselves.
    """

    def __init__(self, collection: AsyncCollection, clock: Callable[[], float] = time.time,
                 upsert: Callable[[dict, dict], Awaitable[Any]] | None = None) -> None:
        self.collection = collection
        self.clock = clock
        # how a guarded upsert is sent (query, update); raises DuplicateKeyError on a full window. Default:
        # one `update_one`; callers under bursts pass a batched one (several takes in one command)
        self.upsert = upsert or (lambda q, u: collection.update_one(q, u, upsert=True))

    async def take(self, key: str, limit: int, window_s: float, amount: int = 1) -> bool:
        """Count `amount` in the current window of `key`; False (nothing counted) when it would pass `limit`."""
        start = int(self.clock() // window_s * window_s)
        doc_id = f"{key}:{start}"
        expires = dt.datetime.fromtimestamp(start + window_s, dt.UTC)
        if amount > limit:
            return False
        try:
            # one guarded upsert: it matches only a window with room; a full one makes the upsert collide
            # with the existing document (a find_one_and_update scans the collection in the embedded server)
            await self.upsert({"_id": doc_id, "n": {"$lte": limit - amount}},
                              {"$inc": {"n": amount}, "$setOnInsert": {"expires_at": expires}})
        except DuplicateKeyError:
            return False
        return True

    async def used(self, key: str, window_s: float) -> int:
        """What the current window of `key` has counted so far."""
        start = int(self.clock() // window_s * window_s)
        doc = await self.collection.find_one({"_id": f"{key}:{start}"})
        return int(doc["n"]) if doc else 0


class SlotQuota:
    """Like `WindowQuota`, but every unit taken is one document `{_id: "<key>:<window start>:<n>"}` (n = 1..limit).

    A take is one insert, which the embedded database stores at a fraction of the cost of the guarded upsert
    of a counter (an update rewrites the document and its index entries); the unique `_id` gives each slot to
    exactly one taker, in any number of processes. This process remembers the next slot of the keys it took
    recently; a collision (another process took it) reads which of the remaining slots are taken and tries the
    first free one. `expires_at` (TTL index) removes the slots of past windows. Takes one unit at a time.
    """

    MAX_HINTS = 100_000

    def __init__(self, collection: AsyncCollection, clock: Callable[[], float] = time.time,
                 insert: Callable[[dict], Awaitable[Any]] | None = None) -> None:
        self.collection = collection
        self.clock = clock
        # how a slot is inserted; raises DuplicateKeyError when it is taken. Callers under bursts pass a batched one
        self.insert = insert or collection.insert_one
        self._next: dict[str, int] = {}  # window prefix -> the next slot this process expects to be free

    def _window(self, key: str, window_s: float) -> tuple[str, dt.datetime]:
        start = int(self.clock() // window_s * window_s)
        return f"{key}:{start}:", dt.datetime.fromtimestamp(start + window_s, dt.UTC)

    async def take(self, key: str, limit: int, window_s: float, amount: int = 1) -> bool:
        """Count one unit in the current window of `key`; False (nothing counted) when `limit` are taken."""
        if amount != 1:
            raise ValueError("SlotQuota takes one unit at a time")
        prefix, expires = self._window(key, window_s)
        n = self._next.pop(prefix, 1)
        while n <= limit:
            self._remember(prefix, n + 1)  # concurrent takes of this process try the following slots
            try:
                await self.insert({"_id": f"{prefix}{n:05d}", "expires_at": expires})
                return True
            except DuplicateKeyError:
                taken = await self._taken(prefix, range(n + 1, limit + 1))
                n = next((i for i in range(n + 1, limit + 1) if i not in taken), limit + 1)
            except BaseException:
                self._next[prefix] = min(n, self._next.get(prefix, n))  # slot n was not taken: offer it again
                raise
        self._remember(prefix, n)  # the window is full: later takes are refused without a write
        return False

    def _remember(self, prefix: str, n: int) -> None:
        self._next[prefix] = max(n, self._next.pop(prefix, 0))
        if len(self._next) > self.MAX_HINTS:  # forgetting a hint only costs a collision later
            del self._next[next(iter(self._next))]

    async def _taken(self, prefix: str, slots: range) -> set[int]:
        ids = [f"{prefix}{i:05d}" for i in slots]
        if not ids:
            return set()
        docs = await self.collection.find({"_id": {"$in": ids}}, {"_id": 1}).to_list(None)
        return {int(d["_id"].rsplit(":", 1)[1]) for d in docs}

    async def used(self, key: str, limit: int, window_s: float) -> int:
        """How many of the `limit` slots of the current window of `key` are taken."""
        prefix, _ = self._window(key, window_s)
        return len(await self._taken(prefix, range(1, limit + 1)))

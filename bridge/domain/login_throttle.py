"""Login throttling shared by every bridge process: failures per username and per address in MongoDB.

A key (`u:<username>` or `a:<address>`) may fail `free` times within the window; the next failure locks
it for `lock_s`, and every further failure after a lock doubles the lock (up to `lock_max_s`). While a
key is locked no password is checked. Documents expire through a TTL index on `expires_at`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from pymongo import ReturnDocument

from core.clock import now
from core.db import Store
from core.settings import Settings


@dataclass(frozen=True)
class Limits:
    user_failures: int
    address_failures: int
    window_s: float
    lock_s: float
    lock_max_s: float

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.login_user_failures, settings.login_address_failures, settings.login_window_s,
                   settings.login_lock_s, settings.login_lock_max_s)


def keys(username: str, address: str) -> tuple[str, str]:
    return f"u:{username.lower()}", f"a:{address}"


class LoginThrottle:
    def __init__(self, store: Store, limits: Limits) -> None:
        self.store = store
        self.limits = limits

    async def locked_for(self, username: str, address: str) -> int:
        """Seconds until a login of `username` from `address` may be tried again (0: now)."""
        t = now()
        docs = await self.store.login_attempts.find(
            {"_id": {"$in": list(keys(username, address))}, "locked_until": {"$gt": t}}).to_list(None)
        waits = [(d["locked_until"] - t).total_seconds() for d in docs]
        return math.ceil(max(waits)) if waits else 0

    async def failed(self, username: str, address: str) -> None:
        """Count a failure on both keys; lock a key that used up its free failures."""
        user_key, address_key = keys(username, address)
        await self._count(user_key, self.limits.user_failures)
        await self._count(address_key, self.limits.address_failures)

    async def succeeded(self, username: str) -> None:
        """A right password clears the username's failures (the address keeps its count)."""
        await self.store.login_attempts.delete_one({"_id": keys(username, "")[0]})

    async def _count(self, key: str, free: int) -> None:
        t = now()
        window = dt.timedelta(seconds=self.limits.window_s)
        await self.store.login_attempts.delete_one({"_id": key, "expires_at": {"$lt": t}})
        doc = await self.store.login_attempts.find_one_and_update(
            {"_id": key}, {"$inc": {"failures": 1}, "$set": {"last_at": t, "expires_at": t + window}},
            upsert=True, return_document=ReturnDocument.AFTER)
        over = doc["failures"] - free
        if over < 0:
            return
        lock_s = min(self.limits.lock_max_s, self.limits.lock_s * 2 ** min(over, 30))
        until = t + dt.timedelta(seconds=lock_s)
        await self.store.login_attempts.update_one(
            {"_id": key}, {"$set": {"locked_until": until, "expires_at": until + window}})


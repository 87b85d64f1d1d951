"""WindowQuota against the real database: counts up to the limit, refuses beyond, windows roll over."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from core.ratelimit import SlotQuota, WindowQuota


async def test_quota_counts_to_the_limit_then_refuses_and_a_new_window_starts_empty(desk):
    clock = [1_000_000.0]
    quota = WindowQuota(desk.store.db[f"quota_{uuid.uuid4().hex[:6]}"], clock=lambda: clock[0])
    assert [await quota.take("k", 3, 3600) for _ in range(5)] == [True, True, True, False, False]
    assert await quota.used("k", 3600) == 3
    assert await quota.take("k", 3, 3600, amount=4) is False and await quota.take("other", 3, 3600, amount=3)
    clock[0] += 3600
    assert await quota.used("k", 3600) == 0 and await quota.take("k", 3, 3600)


async def test_concurrent_takes_never_pass_the_limit(desk):
    quota = WindowQuota(desk.store.db[f"quota_{uuid.uuid4().hex[:6]}"])
    taken = await asyncio.gather(*(quota.take("burst", 10, 3600) for _ in range(40)))
    assert sum(taken) == 10 and await quota.used("burst", 3600) == 10


async def test_slot_quota_counts_to_the_limit_then_refuses_and_a_new_window_starts_empty(desk):
    clock = [1_000_000.0]
    quota = SlotQuota(desk.store.db[f"quota_{uuid.uuid4().hex[:6]}"], clock=lambda: clock[0])
    assert [await quota.take("k", 3, 3600) for _ in range(5)] == [True, True, True, False, False]
    assert await quota.used("k", 3, 3600) == 3 and await quota.take("other", 3, 3600)
    clock[0] += 3600
    assert await quota.used("k", 3, 3600) == 0 and await quota.take("k", 3, 3600)


async def test_slot_quota_shared_by_processes_never_passes_the_limit(desk):
    """Several processes (instances with their own hints) taking from one window, concurrently."""
    coll = desk.store.db[f"quota_{uuid.uuid4().hex[:6]}"]
    quotas = [SlotQuota(coll) for _ in range(3)]
    assert await quotas[0].take("burst", 10, 3600)  # the others' hints still point at slot 1: they collide
    taken = await asyncio.gather(*(quotas[i % 3].take("burst", 10, 3600) for i in range(40)))
    assert sum(taken) == 9 and await quotas[1].used("burst", 10, 3600) == 10
    assert not await quotas[2].take("burst", 10, 3600)


async def test_slot_quota_offers_a_slot_again_when_its_insert_failed(desk):
    coll = desk.store.db[f"quota_{uuid.uuid4().hex[:6]}"]
    failures = [RuntimeError("database away")]

    async def insert(doc: dict) -> None:
        if failures:
            raise failures.pop()
        await coll.insert_one(doc)

    quota = SlotQuota(coll, insert=insert)
    with pytest.raises(RuntimeError):
        await quota.take("k", 2, 3600)
    assert [await quota.take("k", 2, 3600) for _ in range(3)] == [True, True, False]
    assert await quota.used("k", 2, 3600) == 2

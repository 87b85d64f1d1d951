"""What a second bridge process costs per message: seq numbering, conversation cache, citizen presence.

Two processes are two service objects over the same database (and, for the caches, a real Redis).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest

from bridge.domain.notify.citizens import CitizenPresence
from bridge.infra.conv_cache import ConversationCache
from bridge.infra.message_store import MessageStore
from bridge.infra.read_batch import ReadBatcher
from bridge.infra.redis_events import ReadGuard
from ops.procs import free_port
from tests.domain.conftest import Desk

AGENT = {"role": "agent", "id": "a1", "name": "坐席"}
USER = {"role": "user", "id": "u1", "name": "市民"}


@pytest.fixture(scope="module")
def redis_url():
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                             "127.0.0.1", "--save", ""], stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


async def until(check, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not check() and time.monotonic() < deadline:  # noqa: ASYNC110 - polls state the listener task sets
        await asyncio.sleep(0.02)
    return check()


def counting_reads(store: MessageStore) -> list[str]:
    """Record the highest-seq reads `store` makes."""
    reads: list[str] = []
    load = store._load_next

    async def counted(conversation_id: str) -> int:
        reads.append(conversation_id)
        return await load(conversation_id)

    store._load_next = counted  # type: ignore[method-assign]
    return reads


async def test_a_relayed_message_of_an_unknown_conversation_saves_the_seq_read(desk: Desk):
    a, b = MessageStore(desk.store), MessageStore(desk.store)
    reads = counting_reads(b)
    first, _ = await a.append("c-relay", USER, text="你好", new_conversation=True)
    second, _ = await a.append("c-relay", USER, text="在吗")
    b.observe({"conversation_id": "c-relay", "seq": first["seq"]})
    b.observe({"conversation_id": "c-relay", "seq": second["seq"]})
    reply, created = await b.append("c-relay", AGENT, text="您好")
    assert created and reply["seq"] == 3 and reads == []


async def test_a_collision_with_the_other_process_is_retried_without_a_read_and_leaves_no_gap(desk: Desk):
    a, b = MessageStore(desk.store), MessageStore(desk.store)
    await a.append("c-clash", USER, text="一", new_conversation=True)
    b.observe({"conversation_id": "c-clash", "seq": 1})
    reads = counting_reads(b)
    await a.append("c-clash", USER, text="二")  # b has not seen it: its next seq (2) is taken
    reply, _ = await b.append("c-clash", AGENT, text="三")
    assert reply["seq"] == 3 and reads == []
    for _ in range(3):  # three more taken behind b's back: two blind tries, then a read
        await a.append("c-clash", USER, text="又一条")
    late, _ = await b.append("c-clash", AGENT, text="四")
    assert late["seq"] == 7 and reads == ["c-clash"]
    assert [m["seq"] for m in await a.since("c-clash")] == list(range(1, 8))


def test_a_read_is_not_kept_when_the_key_changed_while_it_was_in_flight():
    guard = ReadGuard(max_age_s=0.2)
    started = time.monotonic()
    assert guard.may_keep("k", started)
    guard.changed("k")
    assert not guard.may_keep("k", started) and guard.may_keep("other", started)
    assert guard.may_keep("k", time.monotonic() + 1e-6)
    later = time.monotonic()
    guard.cleared()
    assert not guard.may_keep("other", later)
    old = time.monotonic() - 1.0
    assert not guard.may_keep("fresh", old)


async def test_a_conversation_read_before_an_invalidation_is_not_cached():
    cache = ConversationCache()
    assert cache.get("c1") is None  # a miss: the caller reads the database
    await cache.invalidate("c1")  # meanwhile another writer changed it
    cache.put({"_id": "c1", "state": "bot"})
    assert cache.get("c1") is None
    cache.put({"_id": "c1", "state": "with_agent"})  # read after the invalidation
    assert cache.get("c1") == {"_id": "c1", "state": "with_agent"}


async def test_invalidations_cross_processes_and_entries_outlive_the_old_expiry(redis_url: str):
    one, two = ConversationCache(redis_url), ConversationCache(redis_url)
    await one.start()
    await two.start()
    try:
        assert await until(lambda: one._events.listening and two._events.listening)
        assert two.ttl_s >= 600
        two.put({"_id": "c2", "state": "bot"})
        assert two.get("c2") is not None
        await one.invalidate("c2")
        assert await until(lambda: two.get("c2") is None)
    finally:
        await one.close()
        await two.close()


async def test_citizen_presence_across_processes_without_a_count_per_question(desk: Desk, redis_url: str):
    sockets = desk.store.user_sockets
    here = CitizenPresence(desk.store, redis_url)  # the citizen's bridge
    there = CitizenPresence(desk.store, redis_url)  # the agent's bridge
    try:
        assert not await there.connected("u-away")  # subscribes; not remembered before it listens
        assert await until(lambda: there._events.listening)
        await here.opened("u-warm")  # announced before anyone asked
        await sockets.insert_one({"_id": "s1", "user": "u-1", "process_id": "p0"})
        await here.opened("u-1")
        assert await until(lambda: "u-1" in there._known)
        counts = there.counts
        assert await there.connected("u-warm")
        assert await there.connected("u-1") and await there.connected("u-1")
        assert there.counts == counts  # answered from the announcement
        await sockets.delete_one({"_id": "s1"})
        await here.closed("u-1")
        assert await until(lambda: "u-1" not in there._known)
        assert not await there.connected("u-1") and not await there.connected("u-1")
        assert there.counts == counts + 1  # counted once, then remembered
        await sockets.insert_one({"_id": "s2", "user": "u-1", "process_id": "dead"})
        await here.opened("u-1")
        assert await until(lambda: there._known.get("u-1", (0, False))[1])
        await sockets.delete_one({"_id": "s2"})  # the reaper removed a dead process's sockets
        await here.reaped()
        assert await until(lambda: not there._known)
        assert not await there.connected("u-1")
    finally:
        await here.close()
        await there.close()


async def test_concurrent_conversation_reads_share_one_find(desk: Desk):
    batcher = ReadBatcher(desk.store.conversations)
    await desk.store.conversations.insert_many([{"_id": f"r{i}", "n": i} for i in range(20)])
    got = await asyncio.gather(*(batcher.get(f"r{i % 20}") for i in range(30)), batcher.get("missing"))
    assert [d["n"] for d in got[:30]] == [i % 20 for i in range(30)] and got[30] is None
    assert batcher.reads <= 2  # the first alone, the rest together
    assert got[0] is not got[20]  # the same document asked twice: two copies
    assert await batcher.get("r3") == {"_id": "r3", "n": 3}


async def test_a_first_response_patches_the_other_process_copy_instead_of_dropping_it(redis_url: str):
    import datetime as dt
    one, two = ConversationCache(redis_url), ConversationCache(redis_url)
    await one.start()
    await two.start()
    assigned = dt.datetime(2026, 11, 27, 8, 0, 0, 123000, tzinfo=dt.timezone.utc)
    answered = dt.datetime(2026, 11, 27, 8, 0, 9, 456000, tzinfo=dt.timezone.utc)
    conv = {"_id": "c3", "state": "with_agent", "agent": {"id": "a1"}, "assigned_at": assigned,
            "first_response_at": None, "fr_pending": True}
    try:
        assert await until(lambda: one._events.listening and two._events.listening)
        one.put(dict(conv))
        two.put(dict(conv))
        two.put({**conv, "_id": "c4", "assigned_at": answered})  # reassigned meanwhile: the guard fails there
        guard = {"first_response_at": None, "assigned_at": assigned}
        update = {"$set": {"first_response_at": answered}, "$unset": {"fr_pending": ""}}
        await one.patch("c3", guard, update)
        await one.patch("c4", guard, update)
        want = {**conv, "first_response_at": answered}
        del want["fr_pending"]
        assert one.get("c3") == want  # this process: patched at once, no read
        assert await until(lambda: two.get("c4") is None)  # its copy did not meet the guard: dropped
        assert two.get("c3") == want  # patched there too: no read after the first response
        # a write the cache cannot apply (an operator, a dotted field) drops as before
        await one.patch("c3", guard, {"$inc": {"n": 1}})
        assert await until(lambda: two.get("c3") is None) and one.get("c3") is None
    finally:
        await one.close()
        await two.close()


async def test_a_read_in_flight_during_a_patch_is_not_kept():
    cache = ConversationCache()
    assert cache.get("c5") is None  # a miss: the caller reads the database
    await cache.patch("c5", {"first_response_at": None}, {"$set": {"first_response_at": 1}})
    cache.put({"_id": "c5", "first_response_at": None})  # read before the write landed
    assert cache.get("c5") is None

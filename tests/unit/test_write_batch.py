"""Group commit of inserts against the real embedded database: fates per document, batching."""

from __future__ import annotations

import asyncio
import tempfile

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError
from secantus.server import SecantusDBServer

from bridge.infra.write_batch import ClaimBatcher, InsertBatcher, UpdateBatcher, same_update_groups


@pytest.fixture(scope="module")
def db_uri():
    with SecantusDBServer(storage_path=tempfile.mkdtemp(prefix="bangban-wb-")) as server:
        yield server.uri + ("&" if "?" in server.uri else "?") + "retryWrites=false&journal=true"


@pytest.fixture
async def db(db_uri: str):
    """The test database through a client of its own."""
    client = AsyncMongoClient(db_uri)
    yield client.wb
    await client.close()


async def test_concurrent_inserts_share_batches_and_each_learns_its_fate(db_uri: str):
    client = AsyncMongoClient(db_uri)
    try:
        coll = client.wb.messages
        await coll.drop()
        await coll.create_index([("c", 1), ("seq", 1)], unique=True, name="conv_seq")
        await coll.insert_one({"_id": "taken", "c": "x", "seq": 1})
        batcher = InsertBatcher(coll)
        docs = [{"_id": f"m{i}", "c": "y", "seq": i} for i in range(40)]
        docs.append({"_id": "dup-seq", "c": "x", "seq": 1})  # same (c, seq) as an existing document
        docs.append({"_id": "taken", "c": "z", "seq": 1})  # same _id
        results = await asyncio.gather(*(batcher.insert(d) for d in docs), return_exceptions=True)
        assert results[:40] == [None] * 40
        assert isinstance(results[40], DuplicateKeyError) and results[40].details["keyPattern"] == {"c": 1, "seq": 1}
        assert isinstance(results[41], DuplicateKeyError) and results[41].details["keyPattern"] == {"_id": 1}
        assert batcher.documents == 42 and batcher.batches < 42  # they did share commands
        stored = await coll.count_documents({"c": "y"})
        assert stored == 40
        assert await coll.count_documents({"_id": "dup-seq"}) == 0
    finally:
        await client.close()


async def test_a_batch_failure_reaches_every_caller_and_nothing_is_acknowledged():
    client = AsyncMongoClient("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300")
    try:
        batcher = InsertBatcher(client.wb.messages)
        results = await asyncio.gather(*(batcher.insert({"n": i}) for i in range(5)), return_exceptions=True)
        assert all(isinstance(r, Exception) for r in results)
    finally:
        await client.close()


async def test_insert_many_shares_a_batch_and_raises_its_first_failure(db_uri: str):
    client = AsyncMongoClient(db_uri)
    try:
        coll = client.wb.timeline
        await coll.drop()
        batcher = InsertBatcher(coll)
        await batcher.insert_many([{"_id": "a"}, {"_id": "b"}, {"_id": "c"}])
        assert batcher.batches == 1 and await coll.count_documents({}) == 3
        with pytest.raises(DuplicateKeyError):
            await batcher.insert_many([{"_id": "d"}, {"_id": "b"}])
        assert await coll.count_documents({"_id": "d"}) == 1  # unordered: the others are stored
    finally:
        await client.close()


async def test_updates_share_one_bulk_write_and_each_learns_its_fate(db_uri: str):
    client = AsyncMongoClient(db_uri)
    try:
        coll = client.wb.marks
        await coll.drop()
        await coll.create_index("k", unique=True)
        await coll.insert_many([{"_id": i, "mark": True, "k": i} for i in range(20)])
        batcher = UpdateBatcher(coll)
        ops = [batcher.update({"_id": i}, {"$unset": {"mark": ""}}) for i in range(20)]
        ops.append(batcher.update({"_id": 0}, {"$set": {"k": 5}}))  # violates the unique index
        results = await asyncio.gather(*ops, return_exceptions=True)
        assert results[:20] == [None] * 20 and isinstance(results[20], DuplicateKeyError)
        assert batcher.batches < 21 and await coll.count_documents({"mark": True}) == 0
    finally:
        await client.close()


async def test_outcomes_give_each_document_of_a_group_its_own_fate(db):
    coll = db.groups
    await coll.drop()
    await coll.insert_one({"_id": "b"})
    batcher = InsertBatcher(coll)
    other = asyncio.create_task(batcher.insert({"_id": "x"}))
    outcomes = await batcher.outcomes([{"_id": "a"}, {"_id": "b"}, {"_id": "c"}])
    await other
    assert outcomes[0] is None and outcomes[2] is None and isinstance(outcomes[1], DuplicateKeyError)
    assert batcher.batches == 1  # the group and the other caller's insert shared one command
    assert await coll.count_documents({}) == 4


async def test_guarded_upserts_share_a_command_and_a_full_window_fails_only_its_caller(db):
    """The window quota's take (core/ratelimit.py) batched: a guard that does not match makes that
    upsert collide with the existing document, the others are counted."""
    coll = db.quotas
    await coll.drop()
    await coll.insert_one({"_id": "full", "n": 3})
    batcher = UpdateBatcher(coll, upsert=True)
    ops = [batcher.update({"_id": f"k{i}", "n": {"$lte": 2}}, {"$inc": {"n": 1}}) for i in range(10)]
    ops.append(batcher.update({"_id": "full", "n": {"$lte": 2}}, {"$inc": {"n": 1}}))
    ops.append(batcher.update({"_id": "k0", "n": {"$lte": 2}}, {"$inc": {"n": 1}}))  # same window twice
    results = await asyncio.gather(*ops, return_exceptions=True)
    assert results[:10] == [None] * 10 and results[11] is None
    assert isinstance(results[10], DuplicateKeyError)
    assert batcher.batches < len(ops)
    assert (await coll.find_one({"_id": "k0"}))["n"] == 2 and (await coll.find_one({"_id": "full"}))["n"] == 3


async def test_under_load_a_lingering_batcher_gathers_more_per_command(db):
    coll = db.linger
    await coll.drop()
    batcher = InsertBatcher(coll, linger_s=0.02)
    await batcher.insert({"_id": "idle"})  # idle: sent at once, nothing waited
    assert batcher.batches == 1

    async def later(i: int) -> None:
        await asyncio.sleep(0.002 * i)  # arriving one after another, not together
        await batcher.insert({"_id": i})

    await asyncio.gather(*(later(i) for i in range(8)))
    assert batcher.batches <= 3 and await coll.count_documents({}) == 9


async def test_batched_guarded_claims_tell_each_caller_whether_it_won(db):
    """Two claims of one conversation in one batch: exactly one wins, and each caller knows which."""
    coll = db.claims
    await coll.drop()
    await coll.insert_many([{"_id": i, "state": "bot"} for i in range(10)])
    batcher = ClaimBatcher(coll, "claim_token")
    targets = [*range(10), 3, 7]
    results = await asyncio.gather(*(batcher.claim({"_id": i, "state": "bot"},
                                                   {"$set": {"state": "with_agent", "by": n}})
                                     for n, i in enumerate(targets)))
    assert batcher.batches < len(targets)
    assert sum(results) == 10
    for i in (3, 7):
        won = [n for n, t in enumerate(targets) if t == i and results[n]]
        assert len(won) == 1 and (await coll.find_one({"_id": i}))["by"] == won[0]
    assert await batcher.claim({"_id": 0, "state": "bot"}, {"$set": {"state": "x"}}) is False  # alone


async def test_claims_of_one_document_that_all_match_are_all_told_they_won(db):
    """Updates whose guard they leave true (a note on an open conversation) may all match in one batch."""
    coll = db.claims_all
    await coll.drop()
    await coll.insert_one({"_id": "c", "state": "with_agent", "notes": 0})
    batcher = ClaimBatcher(coll, "claim_tokens")
    states = ["with_agent"] * 5 + ["bot"]  # one guard fails: fewer matched than sent, so the tokens are read
    results = await asyncio.gather(*(batcher.claim({"_id": "c", "state": st}, {"$inc": {"notes": 1}})
                                     for st in states))
    assert batcher.batches < len(states)
    assert results == [True] * 5 + [False] and (await coll.find_one({"_id": "c"}))["notes"] == 5


async def test_batched_slot_reservations_never_pass_capacity(db):
    """Several reservations of one agent in one batch may all win: the tokens are kept in an array."""
    coll = db.slots
    await coll.drop()
    await coll.insert_many([{"_id": f"a{i}", "active": 0} for i in range(3)])
    batcher = ClaimBatcher(coll, "claims", keep=16)
    agents = [f"a{i % 3}" for i in range(10)]
    results = await asyncio.gather(*(batcher.claim({"_id": a, "active": {"$lt": 2}}, {"$inc": {"active": 1}})
                                     for a in agents))
    assert sum(results) == 6
    for i in range(3):
        a = f"a{i}"
        assert (await coll.find_one({"_id": a}))["active"] == 2
        assert sum(1 for n, x in enumerate(agents) if x == a and results[n]) == 2


async def test_updates_differing_only_in_id_become_one_update_many_with_fates_per_document(db):
    coll = db.merged
    await coll.drop()
    await coll.create_index("k", unique=True)
    await coll.insert_many([{"_id": i, "mark": True, "k": i, "n": 0} for i in range(10)])
    docs = [{"q": {"_id": i, "mark": {"$exists": True}}, "u": {"$unset": {"mark": ""}}} for i in range(10)]
    docs += [{"q": {"_id": 3}, "u": {"$inc": {"n": 1}}}, {"q": {"_id": 3}, "u": {"$inc": {"n": 1}}},
             {"q": {"_id": 4}, "u": {"$set": {"k": 5}}}]
    assert same_update_groups(docs) == [list(range(10)), [10], [11], [12]]  # the same _id twice stays apart
    batcher = UpdateBatcher(coll)
    results = await asyncio.gather(*(batcher.update(d["q"], d["u"]) for d in docs), return_exceptions=True)
    assert results[:12] == [None] * 12 and isinstance(results[12], DuplicateKeyError)
    assert await coll.count_documents({"mark": True}) == 0 and (await coll.find_one({"_id": 3}))["n"] == 2


async def test_lingering_before_every_batch_gathers_a_steady_stream(db):
    coll = db.linger_each
    await coll.drop()
    batcher = InsertBatcher(coll, linger_s=0.02, linger_each=True)
    await batcher.insert({"_id": "idle"})  # idle: sent at once, nothing waited

    async def later(i: int) -> None:
        await asyncio.sleep(0.002 * i)  # a steady stream, one every 2 ms for 60 ms
        await batcher.insert({"_id": i})

    await asyncio.gather(*(later(i) for i in range(30)))
    # each batch waited 20 ms for the stream: a handful of commands, not one per straggler after the first
    assert batcher.batches <= 1 + 5 and await coll.count_documents({}) == 31

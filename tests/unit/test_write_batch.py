"""Group commit of inserts against the real embedded database: fates per document, batching."""

from __future__ import annotations

import asyncio
import tempfile

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError
from secantus.server import SecantusDBServer

from bridge.infra.write_batch import InsertBatcher, UpdateBatcher


@pytest.fixture(scope="module")
def db_uri():
    with SecantusDBServer(storage_path=tempfile.mkdtemp(prefix="bangban-wb-")) as server:
        yield server.uri + ("&" if "?" in server.uri else "?") + "retryWrites=false&journal=true"


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

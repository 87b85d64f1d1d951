"""Sharing calls and co-browse between bridge processes: the Redis channels and the owners' registry."""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest
from pymongo import AsyncMongoClient

from core.errors import ApiError
from media.cluster import Cluster
from media.owners import Owners
from ops.procs import Proc, free_port, port_open, wait_until
from tests.unit.media_fixtures import mongo_uri  # noqa: F401


@pytest.fixture(scope="module")
def redis_url():
    port = free_port()
    proc = Proc("redis", [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                          "127.0.0.1", "--save", "", "--appendonly", "no"]).start()
    wait_until(lambda: port_open(port), 10, "redis", proc)
    yield f"redis://127.0.0.1:{port}/0"
    proc.stop()


async def test_request_answered_by_the_other_process(redis_url):
    seen: list[int] = []

    async def serve(body: dict) -> dict:
        seen.append(body["n"])
        await asyncio.sleep(0.01 * (body["n"] % 3))
        return {"ok": True, "n": body["n"], "text": "好"}

    a = Cluster(redis_url, "proc-a", serve, timeout_s=5)
    b = Cluster(redis_url, "proc-b", serve, timeout_s=5)
    await a.start()
    await b.start()
    try:
        answers = await asyncio.gather(*(a.request("proc-b", {"n": n}) for n in range(20)))
        assert [r["n"] for r in answers] == list(range(20)) and answers[0]["text"] == "好"
        assert sorted(seen) == list(range(20))
        assert (await b.request("proc-a", {"n": 7}))["n"] == 7
    finally:
        await a.close()
        await b.close()


async def test_no_owner_or_no_answer_is_media_unavailable(redis_url):
    async def slow(body: dict) -> dict:
        await asyncio.sleep(2)
        return {"ok": True}

    a = Cluster(redis_url, "proc-c", slow, timeout_s=0.3)
    b = Cluster(redis_url, "proc-d", slow, timeout_s=0.3)
    await a.start()
    await b.start()
    try:
        t0 = time.monotonic()
        with pytest.raises(ApiError) as gone:
            await a.request("proc-nobody", {"n": 1})
        assert gone.value.code == "media_unavailable" and time.monotonic() - t0 < 0.2
        with pytest.raises(ApiError) as late:
            await a.request("proc-d", {"n": 1})
        assert late.value.code == "media_unavailable" and "不可用" in late.value.message
        assert not a._pending
    finally:
        await a.close()
        await b.close()


async def test_owners_claim_release_and_orphans(mongo_uri):  # noqa: F811 - fixture
    mongo = AsyncMongoClient(mongo_uri)
    col = mongo["media_owners"]["media_sessions"]
    await col.delete_many({})
    try:
        p1, p2 = Owners(col, "p1"), Owners(col, "p2")
        assert await p1.claim("call", "c1", "s1", {"state": "ringing"}) is None
        assert await p2.claim("call", "c1", "s2", {}) == "p1"  # one call per conversation across processes
        assert await p2.owner("call", "c1") == "p1" and await p1.owner("call", "c1") is None
        assert await p2.owner_of_session("call", "s1") == "p1"
        assert await p2.owner_of_session("cobrowse", "s1") is None
        assert await p2.claim("cobrowse", "c1", "s3", {}) is None  # co-browse is apart from the call
        assert [d["process_id"] for d in await p1.elsewhere("c1")] == ["p2"]
        await p1.note("call", "c1", "s1", state="active")
        assert (await col.find_one({"_id": "call:c1"}))["state"] == "active"
        assert await p1.claim("call", "c1", "s4", {}) is None  # own stale entry: replaced
        assert await p1.release("call", "c1", "s4") is True
        assert await p1.release("call", "c1", "s4") is False  # already gone: someone reported the end
        await col.update_many({}, {"$set": {"created_at": (await col.find_one({}))["created_at"].replace(year=2000)}})
        assert await p1.orphans({"p1", "p2"}, 5) == []
        orphans = await p1.orphans({"p1"}, 5)
        assert [d["_id"] for d in orphans] == ["cobrowse:c1"]
        assert await p2.orphans(set(), 5) == []  # never its own
        won = await asyncio.gather(p1.take(orphans[0]), p1.take(orphans[0]))
        assert sorted(won) == [False, True]
    finally:
        await mongo.close()

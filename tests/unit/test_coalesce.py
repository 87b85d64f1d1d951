"""Coalescing of repeated work per key."""

from __future__ import annotations

import asyncio

import pytest

from bridge.infra.coalesce import BatchReader, Coalescer


async def test_requests_during_a_run_share_the_next_run_and_keys_are_independent():
    runs: list[str] = []
    gate = asyncio.Event()

    async def work(key: str) -> int:
        runs.append(key)
        n = len(runs)
        if n == 1:
            await gate.wait()
        return n

    c = Coalescer(work)
    first = asyncio.create_task(c.run("a"))
    await asyncio.sleep(0.01)
    assert runs == ["a"]
    late = [asyncio.create_task(c.run("a")) for _ in range(10)]  # all arrive during the first run
    await asyncio.sleep(0.01)
    assert await c.run("b") == 2  # another key is not held up
    gate.set()
    assert await first == 1  # the first caller waits for its own run only
    assert await asyncio.gather(*late) == [3] * 10  # the ten share one run, started after them
    assert runs == ["a", "b", "a"]
    assert await c.run("a") == 4  # afterwards runs start fresh


async def test_a_failing_run_reaches_its_callers_and_does_not_block_the_key():
    calls = {"n": 0}

    async def work(key: str) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return 3

    c = Coalescer(work)
    with pytest.raises(RuntimeError):
        await c.run("a")
    assert await c.run("a") == 3


async def test_a_burst_of_requests_costs_few_runs():
    runs = {"n": 0}

    async def work(key: str) -> int:
        runs["n"] += 1
        await asyncio.sleep(0.01)
        return 1

    c = Coalescer(work)
    results = await asyncio.gather(*(c.run("a") for _ in range(100)))
    assert results == [1] * 100
    assert runs["n"] == 1  # all hundred arrived before the first run started


async def test_batch_reader_answers_a_burst_with_few_reads_each_started_after_its_ask():
    reads: list[list[str]] = []
    version = {"n": 0}

    async def read(keys: list[str]) -> dict[str, tuple[str, int]]:
        reads.append(keys)
        seen = version["n"]
        await asyncio.sleep(0.01)
        return {k: (k, seen) for k in keys if k != "missing"}

    reader = BatchReader(read, default=("none", -1))
    first = asyncio.create_task(reader.get("a"))
    await asyncio.sleep(0.002)  # the first read is out
    version["n"] = 1  # what the later asks must see
    rest = await asyncio.gather(*(reader.get(k) for k in ["b", "c", "a", "missing"]))
    assert await first == ("a", 0)
    assert rest == [("b", 1), ("c", 1), ("a", 1), ("none", -1)]
    assert reads == [["a"], ["b", "c", "a", "missing"]]


async def test_batch_reader_hands_a_failed_read_to_its_callers_only():
    calls = {"n": 0}

    async def read(keys: list[str]) -> dict[str, int]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("down")
        return dict.fromkeys(keys, 7)

    reader = BatchReader(read, default=0)
    with pytest.raises(RuntimeError):
        await reader.get("x")
    assert await reader.get("x") == 7

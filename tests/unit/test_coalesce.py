"""Coalescing of repeated work per key."""

from __future__ import annotations

import asyncio

from bridge.coalesce import Coalescer


async def test_requests_during_a_run_share_one_more_run_and_keys_are_independent():
    runs: list[str] = []
    gate = asyncio.Event()

    async def work(key: str) -> int:
        runs.append(key)
        if len(runs) == 1:
            await gate.wait()
        return 1

    c = Coalescer(work)
    first = asyncio.create_task(c.run("a"))
    await asyncio.sleep(0)
    assert runs == ["a"]
    late = await asyncio.gather(*(c.run("a") for _ in range(10)))  # all arrive during the first run
    assert late == [0] * 10
    other = await c.run("b")  # another key is not held up
    assert other == 1
    gate.set()
    assert await first == 2  # the first run went round once more for the ten requests
    assert runs == ["a", "b", "a"]
    assert await c.run("a") == 1  # and afterwards runs start fresh


async def test_a_failing_run_does_not_block_the_key():
    calls = {"n": 0}

    async def work(key: str) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return 3

    c = Coalescer(work)
    try:
        await c.run("a")
    except RuntimeError:
        pass
    assert await c.run("a") == 3

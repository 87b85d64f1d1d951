"""A bridge tells its stalls: the event loop watcher and the periodic rounds that take long."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bridge.infra.metrics import LOOP_STALL
from bridge.infra.runtime import watch_event_loop
from core.tasks import Periodic, cancel_and_wait


def stalls_observed() -> float:
    return next(s.value for m in LOOP_STALL.collect() for s in m.samples if s.name.endswith("_count"))


async def test_a_blocked_loop_is_logged_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    before = stalls_observed()
    watcher = asyncio.create_task(watch_event_loop(every_s=0.01, least_s=0.05, log_from_s=0.1))
    await asyncio.sleep(0.05)
    time.sleep(0.3)  # noqa: ASYNC251 - the point: the loop is blocked, every socket of the process waits
    await asyncio.sleep(0.05)
    await cancel_and_wait(watcher)
    assert stalls_observed() == before + 1
    stalled = [r for r in caplog.records if r.getMessage() == "event loop stalled"]
    assert len(stalled) == 1 and stalled[0].stall_ms >= 250


async def test_an_idle_loop_is_not_a_stall(caplog: pytest.LogCaptureFixture) -> None:
    before = stalls_observed()
    watcher = asyncio.create_task(watch_event_loop(every_s=0.01, least_s=0.05, log_from_s=0.1))
    await asyncio.sleep(0.3)
    await cancel_and_wait(watcher)
    assert stalls_observed() == before
    assert not [r for r in caplog.records if r.getMessage() == "event loop stalled"]


async def test_a_slow_periodic_round_is_logged_with_its_task(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    rounds = []

    async def work() -> None:
        rounds.append(1)
        await asyncio.sleep(0.15 if len(rounds) == 1 else 0.0)

    loop = Periodic("slowpoke", work, 0.01, logging.getLogger("test.periodic"), "failed", slow_s=0.1)
    loop.start()
    await asyncio.sleep(0.3)
    await loop.stop()
    slow = [r for r in caplog.records if r.getMessage() == "periodic round slow"]
    assert len(rounds) > 2 and len(slow) == 1
    assert slow[0].task == "slowpoke" and slow[0].took_ms >= 150

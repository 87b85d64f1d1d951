"""Small helpers for background asyncio tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable


async def cancel_and_wait(task: asyncio.Task | None) -> None:
    """Cancel `task` (if any) and wait until it has stopped; its cancellation is not an error."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class Periodic:
    """`work` run every `interval_s` seconds in a background task until stopped.

    A failing round is logged and retried at the next interval (the database may be restarting);
    cancellation stops the loop. A round that takes `slow_s` or longer is logged with its length, so that
    a stall of the process (runtime.watch_event_loop) can be matched with the work that ran then.
    """

    def __init__(self, name: str, work: Callable[[], Awaitable[object]], interval_s: float,
                 log: logging.Logger, failure: str, slow_s: float = 0.5) -> None:
        self.name = name
        self.work = work
        self.interval_s = interval_s
        self.log = log
        self.failure = failure
        self.slow_s = slow_s
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            try:
                await self.work()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - retried next interval
                self.log.warning(self.failure, exc_info=True)
            took = time.perf_counter() - t0
            if took >= self.slow_s:
                self.log.info("periodic round slow", extra={"task": self.name, "took_ms": round(took * 1000)})
            await asyncio.sleep(self.interval_s)


async def watch_loop(on_stall: Callable[[float], None], every_s: float, least_s: float) -> None:
    """Time a short sleep over and over and call `on_stall(seconds late)` for each wake-up `least_s` or more
    late: the loop was busy with one piece of work meanwhile, and everything else on it waited that long."""
    while True:
        t0 = time.perf_counter()
        await asyncio.sleep(every_s)
        late = time.perf_counter() - t0 - every_s
        if late >= least_s:
            on_stall(late)

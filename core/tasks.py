"""Small helpers for background asyncio tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
    cancellation stops the loop.
    """

    def __init__(self, name: str, work: Callable[[], Awaitable[object]], interval_s: float,
                 log: logging.Logger, failure: str) -> None:
        self.name = name
        self.work = work
        self.interval_s = interval_s
        self.log = log
        self.failure = failure
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.work()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - retried next interval
                self.log.warning(self.failure, exc_info=True)
            await asyncio.sleep(self.interval_s)

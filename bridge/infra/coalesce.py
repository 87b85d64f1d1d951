"""Coalescing of repeated work per key: one run at a time, shared by the requests that wait.

Many handoffs into one department at once each ask for "assign what can be assigned" and
"tell the waiting users their positions". Doing each request separately is quadratic (every
notification walks the whole queue) and makes the runs fight over the same queue head.
Here the requests that arrive while a run of their key is in progress share the next run,
which starts when the current one ends. Every request is covered by a run that started after
it, and no caller waits for more than the run in progress plus its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Coalescer(Generic[T]):
    """Run `fn(key)` so that concurrent requests for one key share runs (and their result).

    Also a shared read: many handoffs into one department at once need the same "who is free,
    does anyone wait" answer, and one read that started after each of them answers them all.
    """

    def __init__(self, fn: Callable[[str], Awaitable[T]], pause_s: float = 0.0) -> None:
        self.fn = fn
        self.pause_s = pause_s  # between consecutive runs of one key (a bound on refresh rate)
        self._next: dict[str, asyncio.Future[T]] = {}  # the run not started yet, per key
        self._loops: dict[str, asyncio.Task[None]] = {}

    async def run(self, key: str) -> T:
        """Wait for a run of `key` that starts after this call; what that run returned."""
        fut = self._next.get(key)
        if fut is None:
            fut = self._next[key] = asyncio.get_running_loop().create_future()
        if key not in self._loops:
            self._loops[key] = asyncio.create_task(self._loop(key))
        return await asyncio.shield(fut)

    async def _loop(self, key: str) -> None:
        try:
            while (fut := self._next.pop(key, None)) is not None:
                try:
                    result = await self.fn(key)
                except Exception as exc:  # noqa: BLE001 - handed to the waiting callers
                    fut.set_exception(exc)
                    fut.exception()  # retrieved here too: callers may have gone
                else:
                    fut.set_result(result)
                if self.pause_s and key in self._next:
                    await asyncio.sleep(self.pause_s)
        finally:
            self._loops.pop(key, None)

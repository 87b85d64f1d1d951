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


class BatchReader(Generic[T]):
    """Reads of single keys batched into one query of many: `fn(keys)` answers {key: value} for all of them.

    One read is out at a time; the keys asked for meanwhile go together into the next, so every
    answer comes from a read that started after it was asked for (as fresh as a read of its own),
    idle nothing waits, and a burst of N asks costs a few commands instead of N.
    """

    def __init__(self, fn: Callable[[list[str]], Awaitable[dict[str, T]]], default: T, max_batch: int = 256) -> None:
        self.fn = fn
        self.default = default  # the answer for a key `fn` left out
        self.max_batch = max_batch
        self._pending: dict[str, asyncio.Future[T]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def get(self, key: str) -> T:
        """The value of `key` from a read that starts after this call."""
        fut = self._pending.get(key)
        if fut is None:
            fut = self._pending[key] = asyncio.get_running_loop().create_future()
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read())
        return await asyncio.shield(fut)

    async def _read(self) -> None:
        while self._pending:
            keys = list(self._pending)[: self.max_batch]
            batch = {k: self._pending.pop(k) for k in keys}
            try:
                found = await self.fn(keys)
            except Exception as exc:  # noqa: BLE001 - handed to the waiting callers
                for fut in batch.values():
                    fut.set_exception(exc)
                    fut.exception()  # retrieved here too: callers may have gone
                continue
            for key, fut in batch.items():
                fut.set_result(found.get(key, self.default))

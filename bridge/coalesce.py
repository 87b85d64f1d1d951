"""Coalescing of repeated work per key: at most one run in progress and one more to follow.

Many handoffs into one department at once each ask for "assign what can be assigned" and
"tell the waiting users their positions". Doing each request separately is quadratic (every
notification walks the whole queue) and makes the runs fight over the same queue head.
Here a request arriving while a run for its key is in progress only marks the key; the
running one goes round again when it finishes, so every request is covered by a run that
started after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Coalescer:
    """Run `fn(key)` so that concurrent requests for one key share runs."""

    def __init__(self, fn: Callable[[str], Awaitable[int | None]], pause_s: float = 0.0) -> None:
        self.fn = fn
        self.pause_s = pause_s  # between consecutive runs of one key (a bound on refresh rate)
        self._running: set[str] = set()
        self._again: set[str] = set()

    async def run(self, key: str) -> int:
        """Run now, or leave it to the run in progress; the sum of what the runs made returned."""
        if key in self._running:
            self._again.add(key)
            return 0
        self._running.add(key)
        total = 0
        try:
            while True:
                self._again.discard(key)
                total += (await self.fn(key)) or 0
                if key not in self._again:
                    return total
                if self.pause_s:
                    await asyncio.sleep(self.pause_s)
        finally:
            self._running.discard(key)
            self._again.discard(key)

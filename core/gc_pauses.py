"""Timing the garbage collector's pauses: one shape for the bridge, the database and the load clients."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

OnPause = Callable[[int, float, float], None]  # (generation, wall-clock start, seconds)


class GcTimer:
    """A `gc.callbacks` entry that calls `on_pause(generation, started_at, seconds)` after every collection
    (`started_at` is `time.time()`, to match the pause with logs and other processes' clocks)."""

    def __init__(self, on_pause: OnPause) -> None:
        self.on_pause = on_pause
        self._start = (0.0, 0.0)

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = (time.time(), time.perf_counter())
        else:
            self.on_pause(info["generation"], self._start[0], time.perf_counter() - self._start[1])

    def install(self) -> GcTimer:
        """Start timing (once, however often called)."""
        if self not in gc.callbacks:
            gc.callbacks.append(self)
        return self

    def remove(self) -> None:
        """Stop timing."""
        if self in gc.callbacks:
            gc.callbacks.remove(self)

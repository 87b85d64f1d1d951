"""Process-level tuning and watching of a bridge: the garbage collector, the event loop's stalls.

A bridge holds a few hundred tracked objects per connection (tasks, coroutines, timers of
engine.io), about a million at 5,000 connections, and a full collection walks all of them:
measured 0.9 s, a stall of every connection of the process. Python starts a full collection
when the objects promoted to the oldest generation since the last one reach a quarter of it,
and objects get promoted by surviving young collections. Rarer young collections
(`GC_THRESHOLD`, default 50000,20,100 instead of Python's 700,10,10) let the objects of
messages in flight die young, so full collections become rare; objects made while starting
up are frozen out of every collection. Pauses are measured in `bangban_gc_pause_seconds`.
"""

from __future__ import annotations

import gc
import logging

from bridge.infra.metrics import GC_PAUSE, LOOP_STALL
from core.gc_pauses import GcTimer
from core.tasks import watch_loop

log = logging.getLogger("bangban.runtime")

_gc_timer = GcTimer(lambda generation, _at, seconds: GC_PAUSE.labels(str(generation)).observe(seconds))


def tune_gc(threshold: tuple[int, int, int]) -> None:
    """Set the collector's thresholds and time its pauses."""
    gc.set_threshold(*threshold)
    _gc_timer.install()


def freeze_startup_objects() -> None:
    """Move everything alive now (modules, catalogue, app) out of future collections."""
    gc.collect()
    gc.freeze()


async def watch_event_loop(every_s: float = 0.05, least_s: float = 0.05, log_from_s: float = 0.2) -> None:
    """Watch this process's event loop (`core.tasks.watch_loop`): a timer run late means the loop was busy with
    one piece of work (a long collection, a big query result decoded at once, a burst of frames). Stalls from
    `least_s` go to `bangban_event_loop_stall_seconds`, from `log_from_s` also to the log with their length:
    every socket of the process waited that long."""

    def stalled(late: float) -> None:
        LOOP_STALL.observe(late)
        if late >= log_from_s:
            log.warning("event loop stalled", extra={"stall_ms": round(late * 1000)})

    await watch_loop(stalled, every_s, least_s)

"""core.gc_pauses.GcTimer: one timer shape for every process's collector pauses."""

import gc
import time

from core.gc_pauses import GcTimer


def test_a_collection_is_timed_once_however_often_the_timer_is_installed():
    seen: list[tuple[int, float, float]] = []
    timer = GcTimer(lambda generation, at, seconds: seen.append((generation, at, seconds)))
    timer.install().install()
    try:
        before = time.time()
        gc.collect()
    finally:
        timer.remove()
    assert [s[0] for s in seen] == [2]
    (_, at, seconds), = seen
    assert before <= at <= time.time() and 0 <= seconds < 5
    gc.collect()
    assert len(seen) == 1 and timer not in gc.callbacks

"""The load benchmark's figures: per-window p99 and the client processes' collector pauses."""

from __future__ import annotations

import gc

from bench.load import GcPauses, client_gc, windows


def test_windows_take_the_p99_of_the_messages_sent_in_each_window() -> None:
    sent = [100.0, 100.5, 101.2, 103.9, 104.0]
    lat = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert windows(sent, lat, 1.0) == [20, 30, 40, 50]
    assert windows(sent, lat, 5.0) == [50]
    assert windows([], [], 5.0) == []


def test_client_gc_counts_the_pauses_of_the_load_phase_only() -> None:
    pauses = [(99.0, 2, 300.0), (100.5, 0, 0.2), (101.0, 2, 180.4), (102.0, 1, 3.0)]
    assert client_gc(pauses, 100.0) == {"n": 3, "max_ms": 180.4, "full": [(1.0, 180)]}


def test_gc_pauses_records_each_collection_with_its_generation() -> None:
    recorder = GcPauses()
    try:
        gc.collect()
    finally:
        recorder.stop()
    assert recorder.pauses and recorder.pauses[-1][1] == 2 and recorder.pauses[-1][2] >= 0.0


def test_the_cpu_probe_reads_seconds_per_ten_million_additions() -> None:
    from bench.common import cpu_probe_s

    probe = cpu_probe_s()
    assert 0.05 < probe < 60.0

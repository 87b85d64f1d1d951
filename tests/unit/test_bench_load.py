"""The load benchmark's figures: per-window p99 and the client processes' collector pauses."""

from __future__ import annotations

import datetime as dt
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


def test_stalls_in_phase_keeps_the_longest_from_the_phase_start_in_time_order() -> None:
    from bench.load import stalls_in_phase

    stalls = [(99.0, 500.0), (100.2, 30.0), (101.5, 400.0), (103.0, 25.0)]
    assert stalls_in_phase(stalls, 100.0, most=2) == [(0.2, 30), (1.5, 400)]


def test_server_stalls_reads_the_bridges_and_the_databases_logs_of_the_load_phase(tmp_path) -> None:
    import json
    import types

    from bench.load import server_stalls

    def line(ts: str, **ev) -> str:
        return json.dumps({"timestamp": ts, **ev})

    (tmp_path / "bridge-0.log").write_text("\n".join([
        line("2026-11-27T10:00:00.500Z", event="event loop stalled", stall_ms=900),  # before the phase
        line("2026-11-27T10:00:02.000Z", event="event loop stalled", stall_ms=310),
        line("2026-11-27T10:00:03.000Z", event="message stored"),
        "not json at all: event loop stalled"]))
    (tmp_path / "bridge-1.log").write_text(line("2026-11-27T10:00:01.500Z", event="periodic round slow",
                                                task="sweeper", took_ms=640))
    (tmp_path / "database.log").write_text(line("2026-11-27T10:00:01.200Z", event="gc pause", took_ms=280))
    t0 = dt.datetime(2026, 11, 27, 10, 0, 1, tzinfo=dt.UTC).timestamp()
    found = server_stalls(types.SimpleNamespace(logs=tmp_path), 2, t0, 30)
    assert found == [["database", 0.2, "gc pause", 280], ["bridge-1", 0.5, "sweeper", 640],
                     ["bridge-0", 1.0, "stall", 310]]


def test_the_database_logs_its_long_collector_pauses(capsys) -> None:
    import json
    import logging

    from core.logs import setup_logging
    from ops.embedded_db import GcLog

    root = logging.getLogger()
    kept = root.handlers[:], root.level
    setup_logging("database")
    try:
        log = GcLog(least_s=0.0)
        log("start", {"generation": 2})
        log("stop", {"generation": 2, "collected": 0})
        line = json.loads(capsys.readouterr().err)
        assert line["event"] == "gc pause" and line["generation"] == 2 and line["took_ms"] >= 0
        assert line["service"] == "database" and line["timestamp"].endswith("Z")
        quiet = GcLog(least_s=10.0)
        quiet("start", {"generation": 0})
        quiet("stop", {"generation": 0, "collected": 0})
        assert capsys.readouterr().err == ""
    finally:
        root.handlers[:] = kept[0]
        root.setLevel(kept[1])


def test_cpu_figures_are_cores_during_the_phase_and_ms_per_message() -> None:
    from bench.load import CpuClock, cpu_figures

    before = CpuClock([10.0, 20.0], 5.0, 1.0, 30.0, at=100.0)
    after = CpuClock([12.0, 21.0], 9.0, 1.5, 34.0, at=110.0)
    got = cpu_figures(before, after, delivered=1000)
    assert got["bridge_cpu_during_load"] == [0.2, 0.1] and got["database_cpu_during_load"] == 0.4
    assert got["client_processes_cpu_during_load"] == 0.4
    assert got["database_cpu_ms_per_message"] == 4.0 and got["bridge_cpu_ms_per_message"] == 3.0
    assert got["redis_cpu_ms_per_message"] == 0.5 and got["client_cpu_ms_per_message"] == 4.0

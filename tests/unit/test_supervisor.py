"""The launcher's supervisor with real short-lived processes and a controlled clock."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from ops.procs import Proc
from ops.supervisor import CrashLoop, Supervisor, backoff


def test_backoff_is_immediate_then_doubles_up_to_the_cap():
    assert [backoff(n) for n in range(1, 8)] == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]


def _exiting(tmp_path: Path) -> Proc:
    return Proc("flaky", [sys.executable, "-c", "import sys; sys.exit(3)"], log_path=tmp_path / "flaky.log").start()


def _wait_dead(proc: Proc) -> None:
    assert proc.popen is not None
    proc.popen.wait(10)


def test_an_exited_process_is_restarted_with_backoff_and_its_pid_written(tmp_path: Path):
    clock = [100.0]
    lines: list[str] = []
    proc = _exiting(tmp_path)
    state = tmp_path / "run.json"
    sup = Supervisor({"flaky": proc}, log=lines.append, state_file=state, clock=lambda: clock[0])
    _wait_dead(proc)
    first = proc.popen.pid
    sup.tick()                                    # first crash: restarted at once
    assert proc.popen.pid != first and sup.restarts == 1
    assert json.loads(state.read_text())["restarts"] == 1
    assert "process exited: flaky (code 3)" in lines[0] and "flaky.log" in lines[0]
    _wait_dead(proc)
    second = proc.popen.pid
    sup.tick()                                    # second crash: waits 1 s
    assert proc.popen.pid == second
    clock[0] += 1.0
    sup.tick()
    assert proc.popen.pid != second and sup.restarts == 2


def test_more_crashes_than_allowed_within_the_window_raise_a_crash_loop(tmp_path: Path):
    clock = [0.0]
    proc = _exiting(tmp_path)
    sup = Supervisor({"flaky": proc}, log=lambda _: None, max_crashes=3, window=60, clock=lambda: clock[0])
    with pytest.raises(CrashLoop, match=r"flaky exited 4 times within 60 s; giving up \(see .*flaky\.log\)"):
        for _ in range(10):
            _wait_dead(proc)
            sup.tick()
            clock[0] += 5.0                       # past the backoff, within the window
            sup.tick()


def test_crashes_older_than_the_window_are_forgotten(tmp_path: Path):
    clock = [0.0]
    proc = _exiting(tmp_path)
    sup = Supervisor({"flaky": proc}, log=lambda _: None, max_crashes=2, window=10, clock=lambda: clock[0])
    for _ in range(6):
        _wait_dead(proc)
        sup.tick()
        clock[0] += 11.0
        sup.tick()
    assert sup.restarts == 6


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_crashed_server_s_orphaned_workers_are_killed_before_its_restart(tmp_path: Path):
    """A server killed with -9 leaves its worker children running (Sanic's worker of the action server did):
    the supervisor kills the rest of the dead process's group before it starts the process again."""
    worker_pid = tmp_path / "worker.pid"
    code = ("import subprocess, sys, time; "
            "w = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
            f"open({str(worker_pid)!r}, 'w').write(str(w.pid)); time.sleep(60)")
    proc = Proc("server", [sys.executable, "-c", code], log_path=tmp_path / "server.log").start()
    deadline = time.monotonic() + 10
    while not (worker_pid.exists() and worker_pid.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(worker_pid.read_text())
    os.kill(proc.popen.pid, signal.SIGKILL)       # the leader only, as a crash or `kill -9 PID` does
    _wait_dead(proc)
    assert _alive(worker)                         # orphaned, still running
    sup = Supervisor({"server": proc}, log=lambda _line: None, clock=lambda: 100.0)
    sup.tick()
    deadline = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)
    assert sup.restarts == 1 and proc.alive
    proc.stop()

"""Keeps a running system serving: a crashed child is restarted with backoff, a crash loop stops the launcher.

`./bangban run` calls `Supervisor.tick()` twice a second. A process that exits is started again with the
same command and environment (its log file continues); the first restart is immediate, then 1, 2, 4 ... s.
More than `max_crashes` exits of one process within `window` seconds raise `CrashLoop`, which names the
process and its log: something is wrong that a restart will not mend (a port taken, a broken model).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ops.procs import Proc


class CrashLoop(RuntimeError):
    """One process keeps crashing; the message names it and its log."""

    def __init__(self, name: str, crashes: int, window: float, log_path: Path | None) -> None:
        self.name = name
        super().__init__(f"{name} exited {crashes} times within {window:.0f} s; giving up "
                         f"(see {log_path or 'its log'})")


@dataclass
class _Record:
    crashes: deque[float] = field(default_factory=deque)
    restart_at: float | None = None


def backoff(attempt: int, first: float = 0.0, base: float = 1.0, cap: float = 30.0) -> float:
    """Seconds to wait before restart number `attempt` (1-based): `first`, then base, 2·base, 4·base …, ≤ cap."""
    if attempt <= 1:
        return first
    return min(cap, base * 2 ** (attempt - 2))


class Supervisor:
    """Restarts the exited processes of `procs` (name → Proc), with backoff and a crash-loop limit."""

    def __init__(self, procs: dict[str, Proc], log: Callable[[str], None] = print, *, window: float = 60.0,
                 max_crashes: int = 5, state_file: Path | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.procs = procs
        self.log = log
        self.window = window
        self.max_crashes = max_crashes
        self.state_file = state_file
        self.clock = clock
        self.records: dict[str, _Record] = {}
        self.restarts = 0
        self.write_state()

    def tick(self) -> None:
        """Notice exits, schedule and perform restarts; raises `CrashLoop`."""
        now = self.clock()
        for name, proc in self.procs.items():
            rec = self.records.setdefault(name, _Record())
            if rec.restart_at is None and proc.popen is not None and not proc.alive:
                self._crashed(name, proc, rec, now)
            if rec.restart_at is not None and now >= rec.restart_at:
                rec.restart_at = None
                proc.start()
                self.restarts += 1
                self.log(f"restarted {name} (pid {proc.popen.pid if proc.popen else '?'})")
                self.write_state()

    def _crashed(self, name: str, proc: Proc, rec: _Record, now: float) -> None:
        code = proc.popen.returncode if proc.popen else None
        proc.reap_group()
        rec.crashes.append(now)
        while rec.crashes and now - rec.crashes[0] > self.window:
            rec.crashes.popleft()
        if len(rec.crashes) > self.max_crashes:
            raise CrashLoop(name, len(rec.crashes), self.window, proc.log_path)
        delay = backoff(len(rec.crashes))
        rec.restart_at = now + delay
        self.log(f"process exited: {name} (code {code}); restarting in {delay:.0f} s, see {proc.log_path}")

    def write_state(self) -> None:
        """The pids of the children in `state_file` (JSON), for operators and the supervision test."""
        if self.state_file is None:
            return
        pids = {name: p.popen.pid for name, p in self.procs.items() if p.popen is not None and p.alive}
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pids": pids, "restarts": self.restarts}), encoding="utf-8")
        tmp.replace(self.state_file)

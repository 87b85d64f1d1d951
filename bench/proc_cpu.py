"""CPU-seconds of a system's processes from /proc: load-independent figures for the benchmarks.

Each process of `ops.system.System` runs in its own process group (`ops/procs.py`), so a process's
cost includes its workers (Sanic's worker process of the action server). `snapshot` reads
utime + stime of every live process of each group (and of this process); `per_unit` turns two
snapshots into CPU milliseconds per unit of work, by process name.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> tuple[int, float] | None:
    """(process group, CPU seconds) of one process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    # after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / TICK


def snapshot(procs: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process group (`procs`: name -> group leader pid) and by "bench"."""
    by_group: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(entry)
            if st is not None:
                by_group[st[0]] = by_group.get(st[0], 0.0) + st[1]
    out = {name: by_group.get(pgid, 0.0) for name, pgid in procs.items()}
    own = _stat(os.getpid())
    out["bench"] = own[1] if own else 0.0
    return out


def per_unit(before: dict[str, float], after: dict[str, float], units: int) -> dict[str, float]:
    """CPU milliseconds per unit of work by process, plus their "total"."""
    ms = {name: round((after[name] - before.get(name, 0.0)) * 1000 / max(units, 1), 1) for name in after}
    ms["total"] = round(sum(ms.values()), 1)
    return ms


def system_groups(system) -> dict[str, int]:
    """name -> process group of every running process of an `ops.system.System`."""
    return {name: p.popen.pid for name, p in system.procs.items() if p.popen is not None and p.alive}


def start_profiles(system, names: list[str], seconds: int, out_dir: Path) -> list[subprocess.Popen]:
    """`py-spy record` (raw, collapsed stacks) of the named processes' workers for `seconds`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    groups = system_groups(system)
    spies = []
    for name in names:
        if name in groups:
            spies.append(subprocess.Popen(
                ["py-spy", "record", "--pid", str(groups[name]), "--subprocesses", "--duration", str(seconds),
                 "--format", "raw", "--nonblocking", "-o", str(out_dir / f"{name}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return spies


def threads(procs: dict[str, int]) -> dict[str, dict[str, float]]:
    """Per named process group: its threads now, and the share of its CPU so far spent outside each process's
    main thread (worker threads that contend with it for the GIL)."""
    out: dict[str, dict[str, float]] = {}
    groups = {pgid: name for name, pgid in procs.items()}
    for entry in os.listdir("/proc"):
        st = _stat(entry) if entry.isdigit() else None
        if st is None or st[0] not in groups:
            continue
        row = out.setdefault(groups[st[0]], {"threads": 0, "cpu_s": 0.0, "main_s": 0.0})
        try:
            tasks = os.listdir(f"/proc/{entry}/task")
        except OSError:
            continue
        for tid in tasks:
            t = _stat(f"{entry}/task/{tid}")
            if t is not None:
                row["threads"] += 1
                row["cpu_s"] += t[1]
                row["main_s"] += t[1] if tid == entry else 0.0
    return {name: {"threads": r["threads"],
                   "outside_main": round(1 - r["main_s"] / r["cpu_s"], 2) if r["cpu_s"] else 0.0}
            for name, r in out.items()}

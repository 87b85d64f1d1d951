"""The embedded database server (secantusd-py), confined to one CPU core.

secantusdb serves every connection on a thread of one Python process; the threads share one GIL. Left to
float over several cores they pass the GIL from core to core on every switch, and the server spends about
twice the CPU per command (measured: 19.3 ms of database CPU per handoff unpinned, 8.3 ms pinned; 54 → 104
handoffs per second). Pinned to one core the threads switch on that core. Arguments are secantusd-py's.
"""

from __future__ import annotations

import logging
import os
import sys

from core.gc_pauses import GcTimer
from core.logs import setup_logging
from core.settings import load_settings


def chosen_core(setting: str, cores: list[int]) -> int | None:
    """The core `setting` names among the usable `cores` ("last", "none" or a number), None for no pinning."""
    if setting == "none" or len(cores) < 2:
        return None
    if setting == "last":
        return cores[-1]
    if int(setting) not in cores:
        raise SystemExit(f"BANGBAN_DB_CPU: core {setting} is not one this process may use ({cores})")
    return int(setting)


log = logging.getLogger("bangban.database")


class GcLog(GcTimer):
    """Logs the server's garbage-collector pauses from `least_s` on (`gc pause`, structured like every log of
    ours): a pause stops every connection's thread, a stall of every client of the database (bench/load.py
    reads them)."""

    def __init__(self, least_s: float = 0.05) -> None:
        super().__init__(self._pause)
        self.least_s = least_s

    def _pause(self, generation: int, _at: float, seconds: float) -> None:
        if seconds >= self.least_s:
            log.warning("gc pause", extra={"generation": generation, "took_ms": round(seconds * 1000)})


def main(argv: list[str]) -> int:
    """Pin this process to the configured core, then run the database server with `argv`."""
    settings = load_settings()
    setup_logging("database", settings.log_level)
    core = chosen_core(settings.db_cpu, sorted(os.sched_getaffinity(0)))
    if core is not None:
        os.sched_setaffinity(0, {core})
    GcLog().install()
    from secantus.cli import main as serve

    return serve(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Where a message waits, second by second: the bridges' stage histograms sampled during a load phase.

Each bridge times two stages of every message (bridge/infra/metrics.py): `bangban_message_store_seconds`
(arrival in the store to the database's acknowledgement) and `bangban_relay_seconds` (one process's
publish to another's receipt). `StageSampler` reads the bridges' /metrics once a second in a thread;
`per_second_p99` turns the cumulative buckets into a p99 per second (the upper bound of the bucket that
holds it: … 10, 15, 20, 30, 40, 50, 75, 100 ms …), summed over the bridges.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from itertools import pairwise

STAGES = {"store": "bangban_message_store_seconds", "relay": "bangban_relay_seconds"}
Buckets = dict[str, dict[float, float]]  # stage → upper bound (s) → cumulative count


def parse_buckets(text: str) -> Buckets:
    """The cumulative bucket counts of the stage histograms in a /metrics text."""
    out: Buckets = {stage: {} for stage in STAGES}
    for line in text.splitlines():
        for stage, name in STAGES.items():
            if line.startswith(name + "_bucket{"):
                le = line.split('le="', 1)[1].split('"', 1)[0]
                bound = float("inf") if le == "+Inf" else float(le)
                out[stage][bound] = out[stage].get(bound, 0.0) + float(line.rsplit(" ", 1)[1])
    return out


def add(a: Buckets, b: Buckets) -> Buckets:
    """Two processes' buckets summed."""
    return {s: {le: a.get(s, {}).get(le, 0.0) + b.get(s, {}).get(le, 0.0)
                for le in {*a.get(s, {}), *b.get(s, {})}} for s in STAGES}


def p99_between(before: dict[float, float], after: dict[float, float]) -> float | None:
    """The p99 (ms, a bucket's upper bound) of what was observed between two samples; None when nothing was."""
    bounds = sorted(after)
    delta = [after[le] - before.get(le, 0.0) for le in bounds]
    if not delta or delta[-1] <= 0:
        return None
    for le, n in zip(bounds, delta, strict=True):
        if n >= 0.99 * delta[-1]:
            return le * 1000
    return None


class StageSampler:
    """Samples the bridges' stage buckets every `every_s` seconds in a thread until stopped."""

    def __init__(self, urls: list[str], every_s: float = 1.0) -> None:
        self.urls, self.every_s = urls, every_s
        self.samples: list[tuple[float, Buckets]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> StageSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _sample(self) -> Buckets:
        total: Buckets = {s: {} for s in STAGES}
        for url in self.urls:
            with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
                total = add(total, parse_buckets(r.read().decode()))
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            t = time.time()
            try:
                self.samples.append((t, self._sample()))
            except OSError:
                pass  # a bridge busy past the timeout: the next second's sample covers both
            self._stop.wait(max(0.0, self.every_s - (time.time() - t)))

    def per_second_p99(self, t0: float, seconds: float) -> dict[str, list[float | None]]:
        """Per stage, the p99 (ms) of each interval between samples from `t0` to `t0 + seconds`."""
        window = [(t, b) for t, b in self.samples if t0 - self.every_s <= t <= t0 + seconds + self.every_s]
        return {stage: [p99_between(a[stage], b[stage]) for (_, a), (_, b) in pairwise(window)]
                for stage in STAGES}

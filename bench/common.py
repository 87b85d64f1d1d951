"""Shared pieces of the benchmarks: a system on free ports, staff, tokens, percentiles."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bridge.admin import create_agent
from core.db import connect
from core.settings import load_settings
from ops.system import System, SystemConfig

PASSWORD = "Bench-passw0rd-1"
# help around the clock: the figures must not depend on the hour the benchmark runs (out of hours a handoff
# leaves a message and takes the longer path)
ALWAYS_OPEN = '{"default": {"start": "00:00", "end": "24:00", "days": "all"}}'


def start_system(bridges: int = 1, with_rasa: bool = True, rasa: int = 1, actions: int = 1, **env: str) -> System:
    var = Path(tempfile.mkdtemp(prefix="bangban-bench-"))
    cfg = SystemConfig.for_tests(var, bridges=bridges, with_rasa=with_rasa, rasa=rasa, actions=actions,
                                 extra_env={"RATE_LIMIT_PER_10S": "100000", "LOG_LEVEL": "WARNING",
                                            "HELP_HOURS": ALWAYS_OPEN, **env})
    return System(cfg, log=lambda m: print(f"  [system] {m}", flush=True)).start()


def store_of(system: System):
    return connect(load_settings().model_copy(update={"mongo_url": system.mongo_url}))


async def make_staff(store, departments: list[str], capacity: int = 5, role: str = "agent") -> str:
    username = f"b-{uuid.uuid4().hex[:10]}"
    await create_agent(store, username, PASSWORD, "压测坐席", departments, role, capacity)
    return username


async def post_json(base: str, path: str, body: dict) -> dict:
    async with aiohttp.ClientSession() as s:
        async with s.post(base + path, json=body) as r:
            return await r.json()


async def user_token(base: str, sub: str) -> str:
    return (await post_json(base, "/api/v1/dev/user-token", {"sub": sub, "name": "压测用户"}))["token"]


async def staff_token(base: str, username: str) -> str:
    return (await post_json(base, "/api/v1/agents/login", {"username": username, "password": PASSWORD}))["token"]


def cpu_probe_s() -> float:
    """Seconds this machine takes for 10 million pure-Python additions on one core (best of three).

    The same code's figures move with the machine: on this VM the probe has read from 1.1 to 1.7 s within an
    hour. Printed beside each benchmark's figures so that runs on faster or slower hours can be compared.
    """
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i
        best = min(best, time.perf_counter() - t0)
    return round(best * 10 / 3, 2)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def summary(name: str, ms: list[float]) -> str:
    if not ms:
        return f"{name}: no samples"
    return (f"{name}: n={len(ms)} p50={pct(ms, 50):.1f} ms p95={pct(ms, 95):.1f} ms p99={pct(ms, 99):.1f} ms "
            f"mean={statistics.fmean(ms):.1f} ms")


async def db_insert_rate(store, n: int = 2000) -> float:
    """insert_one per second of 1 KB documents against the same database (sequential)."""
    coll = store.db["bench_insert"]
    doc = {"payload": "x" * 1000}
    t0 = time.perf_counter()
    for _ in range(n):
        await coll.insert_one(dict(doc))
    rate = n / (time.perf_counter() - t0)
    await coll.drop()
    return rate

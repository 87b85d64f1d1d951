"""Systems of their own for the scale, fault and attack tests (never the shared session `system`).

Each test module starts one with the processes it needs (usually two bridge processes sharing
the embedded database and Redis, without Rasa) and its own fast timers.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any

from ops.system import System, SystemConfig
from tests.conftest import copy_project
from tests.support import Client, Harness, store_for

FAST_ENV = {
    "AGENT_GRACE_S": "3",
    "FIRST_RESPONSE_ALERT_S": "2",
    "FIRST_RESPONSE_REASSIGN_S": "0",
    "SWEEP_INTERVAL_S": "0.5",
    "PROCESS_DEAD_S": "4",
    "RATE_LIMIT_PER_10S": "600",
    "RASA_TIMEOUT_S": "4",
    "LOG_LEVEL": "INFO",
    # human help open around the clock: queue promises do not depend on the hour the tests run at
    "HELP_HOURS": '{"default": {"start": "00:00", "end": "24:00", "days": "all"}}',
}


def start_own_system(prefix: str, bridges: int = 2, with_rasa: bool = False, **env: str) -> System:
    """Start a whole system on free ports with a fresh data directory (the trainer edits a copy)."""
    var = Path(tempfile.mkdtemp(prefix=f"bangban-{prefix}-"))
    extra = {**FAST_ENV, "BANGBAN_TRAINER_ROOT": str(copy_project(var / "project")), **env}
    cfg = SystemConfig.for_tests(var, bridges=bridges, with_rasa=with_rasa, extra_env=extra)
    return System(cfg, log=lambda m: print(f"[{prefix}] {m}")).start()


def bridge_url(system: System, i: int) -> str:
    return f"http://127.0.0.1:{system.cfg.bridge_ports[i]}"


class MultiHarness(Harness):
    """The test harness with helpers to put clients on a chosen bridge process."""

    async def user_on(self, i: int, sub: str | None = None, **kw: Any) -> Client:
        return await self.connect("/user", await self.user_token(sub, **kw), bridge_url(self.system, i))

    async def agent_on(self, i: int, departments: list[str], role: str = "agent", capacity: int | None = None,
                       online: bool = True) -> Client:
        username, password = await self.make_staff(departments, role, capacity)
        client = await self.connect("/agent", await self.staff_token(username, password), bridge_url(self.system, i))
        client.username = username  # type: ignore[attr-defined]
        if online:
            ack = await client.call("presence", {"status": "online"})
            assert ack["ok"], ack
        return client


def harness(system: System) -> MultiHarness:
    return MultiHarness(system, store_for(system))


def own_system(prefix: str, bridges: int = 2, with_rasa: bool = False, **env: str) -> Iterator[System]:
    """The body of a module fixture: a system of its own (`start_own_system`), stopped afterwards."""
    system = start_own_system(prefix, bridges, with_rasa, **env)
    try:
        yield system
    finally:
        system.stop()


async def open_harness(system: System) -> AsyncIterator[MultiHarness]:
    """The body of a test fixture: a harness on `system`; its clients and store closed afterwards."""
    h = harness(system)
    yield h
    await h.close_clients()
    await h.store.close()


class LoopThread:
    """An asyncio loop in a thread, for hypothesis tests (sync) that drive async clients."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

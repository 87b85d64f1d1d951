"""Session fixtures: one real system (database, Rasa, actions, hotline stand-in, bridge) for the tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ops.system import System, SystemConfig
from tests.support import Harness, store_for

TEST_ENV = {
    "AGENT_GRACE_S": "3",
    "FIRST_RESPONSE_ALERT_S": "2",
    "FIRST_RESPONSE_REASSIGN_S": "0",
    "SWEEP_INTERVAL_S": "0.5",
    "RATE_LIMIT_PER_10S": "60",
    "RASA_TIMEOUT_S": "4",
    "LOG_LEVEL": "INFO",
    # human help open around the clock: queue promises do not depend on the hour the tests run at
    "HELP_HOURS": '{"default": {"start": "00:00", "end": "24:00", "days": "all"}}',
    "MEDIA_ICE_HOST_ADDRESSES": "127.0.0.1",  # calls stay on loopback (Chromium: --allow-loopback-in-peer-connection)
}


def copy_project(target: Path) -> Path:
    """A copy of the Rasa project for the trainer console to edit (the repository's data/ stays untouched)."""
    root = Path(__file__).resolve().parent.parent
    target.mkdir(parents=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copy2(root / name, target / name)
    shutil.copytree(root / "data", target / "data", symlinks=True)
    return target


NOTIFY_KEYS = ("WECHAT_", "ALIPAY_", "PUSH_", "SMS_")


@pytest.fixture(scope="session")
def system() -> System:
    """A whole system on free ports with a fresh data directory."""
    var = Path(tempfile.mkdtemp(prefix="bangban-test-"))
    os.environ.setdefault("BANGBAN_VAR", str(var))
    trainer_root = copy_project(var / "project")
    env = {**TEST_ENV, "BANGBAN_TRAINER_ROOT": str(trainer_root)}
    sys_ = System(SystemConfig.for_tests(var, extra_env=env), log=lambda m: print(f"[system] {m}"))
    sys_.start()
    # what the test process needs to reach this system; not the notification stand-ins' targets (a production
    # system started by a test inherits the environment and must not find loopback providers in it)
    os.environ.update({k: v for k, v in sys_.env().items() if k != "PYTHONPATH" and not k.startswith(NOTIFY_KEYS)})
    yield sys_
    sys_.stop()


@pytest.fixture
async def h(system: System):
    """The harness of one test: HTTP and Socket.IO helpers; closes the test's clients afterwards."""
    harness = Harness(system, store_for(system))
    yield harness
    await harness.close_clients()
    await harness.store.close()

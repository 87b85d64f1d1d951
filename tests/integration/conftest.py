"""A light system for the attack and fuzz tests: one bridge, no Rasa, a high rate limit.

Started only when a test asks for it, once per session; separate from the shared `system`
so that fuzzing never disturbs the other tests' data or rate limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from ops.system import System
from tests.integration.systems import MultiHarness, open_harness, own_system


@pytest.fixture(scope="session")
def lite_system() -> Iterator[System]:
    # the HTTP fuzzer sends hundreds of bad logins from 127.0.0.1: no address lock for the other tests
    yield from own_system("lite", bridges=1, RATE_LIMIT_PER_10S="2000", LOGIN_ADDRESS_FAILURES="100000")


@pytest.fixture
async def lh(lite_system: System) -> AsyncIterator[MultiHarness]:
    async for h in open_harness(lite_system):
        yield h

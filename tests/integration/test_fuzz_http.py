"""Schemathesis against the bridge's own OpenAPI document (`/api/v1/openapi.json`).

Every operation is called with generated (valid and invalid) parameters and bodies, as an
admin and without a token; schemathesis' default checks apply (no 5xx, status codes and
bodies as documented, invalid data refused). The trainer and ledger routes belong to the
trainer console and are fuzzed in its own tests (they also start model training).
"""

from __future__ import annotations

import asyncio
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from bridge.admin import create_agent
from ops.system import System
from tests.integration.systems import harness
from tests.support import STAFF_PASSWORD

EXAMPLES = int(os.environ.get("FUZZ_HTTP_EXAMPLES", "25"))
CALLS: dict[str, int] = {"admin": 0, "anonymous": 0}


@pytest.fixture(scope="module")
def api_schema(lite_system: System):
    schema = schemathesis.openapi.from_url(f"{lite_system.base_url}/api/v1/openapi.json")
    # /healthz answers 503 by design while Rasa is absent (covered by test_faults)
    return schema.exclude(path_regex=r"^/api/v1/(trainer|ledger)").exclude(path="/healthz")


@pytest.fixture(scope="module")
def admin_token(lite_system: System) -> str:
    async def make() -> str:
        h = harness(lite_system)
        try:
            username = "fuzz-admin"
            if await h.store.agents.find_one({"username": username}) is None:
                await create_agent(h.store, username, STAFF_PASSWORD, "模糊测试", ["*"], "admin", None)
            return await h.staff_token(username)
        finally:
            await h.store.close()
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(make())
    finally:
        loop.close()


def fuzz_operations(api_schema, headers: dict[str, str], examples: int, label: str) -> list[str]:
    """Run every operation's strategy through hypothesis; return the failures found (one per operation)."""
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case) -> None:
            CALLS[label] += 1
            case.call_and_validate(headers=dict(headers), timeout=30)

        try:
            run()
        except BaseException as exc:  # noqa: BLE001 - schemathesis raises a BaseExceptionGroup; collect them all
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    return failures


def test_api_as_admin(api_schema, admin_token: str) -> None:
    failures = fuzz_operations(api_schema, {"Authorization": f"Bearer {admin_token}"}, EXAMPLES, "admin")
    print(f"\nschemathesis as admin: {CALLS['admin']} calls")
    assert not failures, "\n\n".join(failures)


def test_api_without_token(api_schema) -> None:
    failures = fuzz_operations(api_schema, {}, max(5, EXAMPLES // 3), "anonymous")
    print(f"\nschemathesis without token: {CALLS['anonymous']} calls")
    assert not failures, "\n\n".join(failures)

"""Every HTTP route is behind a per-caller limiter (a system of its own with `HTTP_RATE_LIMIT_PER_MIN=20`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from ops.system import System
from tests.integration.systems import MultiHarness, open_harness, own_system

LIMIT = 20


@pytest.fixture(scope="module")
def limited() -> Iterator[System]:
    yield from own_system("httplimit", bridges=1, HTTP_RATE_LIMIT_PER_MIN=str(LIMIT))


@pytest.fixture
async def hl(limited: System) -> AsyncIterator[MultiHarness]:
    async for h in open_harness(limited):
        yield h


async def test_http_requests_beyond_the_limit_are_refused_per_caller(hl: MultiHarness):
    first, second = await hl.user_token(), await hl.user_token()  # 2 anonymous requests of the address
    statuses = [(await hl.http("GET", "/api/v1/openapi.json"))[0] for _ in range(LIMIT)]
    assert statuses.count(200) == LIMIT - 2 and statuses[-1] == 429, statuses
    async with aiohttp.ClientSession() as s:
        async with s.get(hl.base_url + "/api/v1/queues") as r:
            body = await r.json(content_type=None)
            assert r.status == 429 and body["error"]["code"] == "rate_limited", body
            assert body["error"]["retry_after"] >= 1 and int(r.headers["Retry-After"]) >= 1
            assert body["error"]["message"]
        for probe in ("/healthz", "/metrics"):  # exempt
            async with s.get(hl.base_url + probe) as r:
                assert r.status != 429, probe
    # a caller with a token has a bucket of its own: the limited address does not stop it
    statuses = [(await hl.http("GET", "/api/v1/openapi.json", token=first))[0] for _ in range(LIMIT + 3)]
    assert statuses[:LIMIT] == [200] * LIMIT and statuses[-1] == 429, statuses
    status, body = await hl.http("GET", "/api/v1/openapi.json", token=second)
    assert status == 200, body
    # a forged token counts against the address
    status, body = await hl.http("GET", "/api/v1/openapi.json", token="forged.token.x")
    assert status == 429 and body["error"]["code"] == "rate_limited"

"""The per-citizen socket cap: counted in memory by the one process there is without Redis, in MongoDB with it."""

from __future__ import annotations

import pytest

from bridge.domain.citizen_limits import CitizenLimits
from core.errors import ApiError
from tests.domain.conftest import Desk


def _limits(desk: Desk, redis_url: str) -> CitizenLimits:
    settings = desk.ctx.settings.model_copy(update={"user_max_sockets": 3, "redis_url": redis_url})
    return CitizenLimits(desk.store, settings, "p-1")


async def test_one_process_counts_sockets_in_memory_with_the_same_cap(desk: Desk):
    limits = _limits(desk, "")
    for i in range(3):
        await limits.enter_socket("u-a", f"s{i}")
    with pytest.raises(ApiError) as refused:
        await limits.enter_socket("u-a", "s3")
    assert refused.value.code == "too_many_sockets"
    await limits.enter_socket("u-b", "t0")  # another citizen is served
    await limits.leave_socket("s0")  # a closed socket frees its place
    await limits.enter_socket("u-a", "s4")
    with pytest.raises(ApiError):
        await limits.enter_socket("u-a", "s5")
    await limits.leave_socket("s-unknown")  # a socket refused or never counted: nothing to release
    assert await desk.store.user_sockets.count_documents({}) == 0  # no row written, none to delete


async def test_with_redis_sockets_are_rows_every_process_counts(desk: Desk):
    limits = _limits(desk, "redis://127.0.0.1:9/0")  # not reached: the socket rows are MongoDB's
    for i in range(3):
        await limits.enter_socket("u-a", f"s{i}")
    with pytest.raises(ApiError):
        await limits.enter_socket("u-a", "s3")
    assert await desk.store.user_sockets.count_documents({"user": "u-a"}) == 3
    await limits.leave_socket("s0")
    assert await desk.store.user_sockets.count_documents({"user": "u-a"}) == 2

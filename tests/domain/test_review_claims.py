"""Claims of conversation review: one trainer at a time, a stale claim taken over, done by its holder only."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.domain.auth import Principal
from bridge.trainer.review import CLAIM_STALE, ReviewService
from core.errors import ApiError
from tests.domain.conftest import Desk


def trainer(name: str) -> Principal:
    return Principal(id=f"t-{name}", role="trainer", name=name, departments=())


async def test_claims_are_guarded(desk: Desk):
    svc = ReviewService(desk.store, desk.ctx.catalogue, nlu=None)  # type: ignore[arg-type]
    a, b = trainer("甲"), trainer("乙")
    assert (await svc.claim("c1", a))["by"]["name"] == "甲"
    assert (await svc.claim("c1", a))["status"] == "claimed"  # claiming again is harmless
    with pytest.raises(ApiError) as refused:
        await svc.claim("c1", b)
    assert refused.value.status == 409 and "甲" in refused.value.message
    with pytest.raises(ApiError):
        await svc.finish("c1", b)

    # a claim idle longer than CLAIM_STALE may be taken over; then the first trainer cannot finish it
    await desk.store.conv_reviews.update_one({"_id": "c1"}, {"$set": {
        "at": (await desk.store.conv_reviews.find_one({"_id": "c1"}))["at"] - CLAIM_STALE - dt.timedelta(minutes=1)}})
    assert (await svc.claim("c1", b))["by"]["name"] == "乙"
    with pytest.raises(ApiError):
        await svc.finish("c1", a)
    done = await svc.finish("c1", b)
    assert done["status"] == "done"
    # a finished review is not taken over however old it is
    await desk.store.conv_reviews.update_one({"_id": "c1"}, {"$set": {"at": done_at_long_ago()}})
    with pytest.raises(ApiError):
        await svc.claim("c1", a)


def done_at_long_ago() -> dt.datetime:
    return dt.datetime(2020, 1, 1, tzinfo=dt.UTC)

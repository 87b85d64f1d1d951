"""The 好差评 outbox and the rectification lifecycle on a real database (the intake unreachable)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from bridge.infra import rooms
from core.clock import now
from core.errors import ApiError
from tests.domain.conftest import DEPARTMENT, MATTER, Desk

SUPERVISOR = {"role": "supervisor", "id": "s1", "name": "班长"}
SCOPE = {"department": {"$in": [DEPARTMENT]}}


def _conv() -> dict:
    return {"_id": f"c-{uuid.uuid4().hex[:8]}", "user": {"id": "u-1"}, "served_by": ["a1"], "channel": "app",
            "matter": MATTER, "department": DEPARTMENT, "agent": {"id": "a1"}}


async def _due_now(desk: Desk) -> None:
    await desk.store.haocha_outbox.update_many({}, {"$set": {"next_try": now() - dt.timedelta(seconds=1)}})


async def test_a_report_is_retried_then_dead_lettered_and_sent_again_on_demand(desk: Desk):
    haocha = desk.ctx.haocha
    haocha.url, haocha.max_attempts = "http://127.0.0.1:9/ratings", 2  # nothing listens there
    await desk.ctx.ratings.rate(_conv(), "bot", 4, True, None)
    item = await desk.store.haocha_outbox.find_one({})
    assert item["state"] == "pending" and item["report"]["level_name"] == "满意"
    assert item["report"]["matter_code"] == MATTER  # no guide.code in the matter record
    assert await haocha.deliver_due() == 0
    item = await desk.store.haocha_outbox.find_one({})
    assert item["state"] == "pending" and item["attempts"] == 1 and item["last_error"]
    await _due_now(desk)
    await haocha.deliver_due()
    item = await desk.store.haocha_outbox.find_one({})
    assert item["state"] == "dead" and item["attempts"] == 2
    view = await haocha.overview(SCOPE, "dead")
    assert view["counts"] == {"dead": 1} and [r["id"] for r in view["reports"]] == [item["_id"]]
    assert await haocha.retry(item["_id"], {"department": {"$in": ["taxation"]}}) is None  # not in scope
    again = await haocha.retry(item["_id"], SCOPE)
    assert again["state"] == "pending" and again["attempts"] == 0
    await haocha.close()


async def test_without_an_endpoint_reports_are_kept_as_skipped(desk: Desk):
    desk.ctx.haocha.url = ""
    await desk.ctx.ratings.rate(_conv(), "bot", 3, None, None)
    item = await desk.store.haocha_outbox.find_one({})
    assert item["state"] == "skipped" and await desk.ctx.haocha.deliver_due() == 0


async def test_a_bad_rating_is_rectified_through_its_lifecycle(desk: Desk):
    desk.ctx.haocha.url = ""
    service = desk.ctx.rectifications
    await desk.ctx.ratings.rate(_conv(), "bot", 4, True, None)
    assert await desk.store.rectifications.count_documents({}) == 0  # 满意: nothing to rectify
    conv = _conv()
    await desk.ctx.ratings.rate(conv, "agent", 2, False, "没人回我，电话13812345678")
    [item] = await service.list(SCOPE)
    assert item["level_name"] == "不满意" and item["status"] == "open" and "138****5678" in item["text"]
    assert await service.list({"department": {"$in": ["taxation"]}}) == []
    with pytest.raises(ApiError) as refused:
        await service.record(item["id"], SCOPE, SUPERVISOR, "核实", None)
    assert refused.value.status == 409
    assert (await service.claim(item["id"], SCOPE, SUPERVISOR))["status"] == "claimed"
    with pytest.raises(ApiError) as refused:
        await service.close(item["id"], SCOPE, SUPERVISOR)
    assert refused.value.status == 400
    await service.record(item["id"], SCOPE, SUPERVISOR, "经核实属实。", "已整改。")

    # overdue: flagged once, to the department's supervisors, and counted
    await desk.store.rectifications.update_one({"_id": item["id"]}, {"$set": {"deadline": "2026-01-02"}})
    assert await service.overdue_count(SCOPE) == 1
    assert [i["id"] for i in await service.list(SCOPE, overdue=True)] == [item["id"]]
    alerts = await service.flag_overdue(desk.ctx.delivery)
    assert [a["rectification_id"] for a in alerts] == [item["id"]]
    assert await service.flag_overdue(desk.ctx.delivery) == []
    assert [a["rectification_id"] for a in desk.sio.to(rooms.supervisors(DEPARTMENT), "alert")] == [item["id"]]

    closed = await service.close(item["id"], SCOPE, SUPERVISOR)
    assert closed["status"] == "closed" and not closed["overdue"]
    assert closed["citizen"] == {"state": "not_reachable"}  # the conversation is not stored here
    assert await service.overdue_count(SCOPE) == 0
    with pytest.raises(ApiError) as refused:
        await service.claim(item["id"], SCOPE, SUPERVISOR)
    assert refused.value.status == 409


async def test_reporting_a_rating_twice_keeps_one_report(desk: Desk):
    rating = await desk.ctx.ratings.rate(_conv(), "agent", 5, True, None)
    first = await desk.ctx.haocha.report(rating)  # as a repeated follow-up would
    assert await desk.store.haocha_outbox.count_documents({"rating.conversation_id": rating["conversation_id"]}) == 1
    assert first["_id"] == first["report"]["report_id"] and first["_id"].startswith(f"HC{rating['ts']:%Y%m%d}")


async def test_follow_ups_a_crash_left_undone_are_run_again_once(desk: Desk):
    """A bad rating whose follow-ups failed: the sweep reports it and opens its item, once, and marks it."""
    desk.ctx.haocha.url = ""
    ratings = desk.ctx.ratings
    real = list(ratings.followups)

    async def crash(rating: dict) -> None:
        raise RuntimeError("process died here")

    ratings.followups = [crash, *real]
    conv = _conv()
    await ratings.rate(conv, "agent", 1, False, "没人理我")
    stored = await desk.store.ratings.find_one({"conversation_id": conv["_id"]})
    assert stored["followed_up"] is False and await desk.store.haocha_outbox.count_documents({}) == 0
    ratings.followups = real
    assert await ratings.follow_up_missed(older_than_s=30) == 0  # too recent: its own process may still run them
    await real[1](stored)  # one follow-up had run before the crash: running it again changes nothing
    assert await ratings.follow_up_missed(older_than_s=0) == 1
    assert await ratings.follow_up_missed(older_than_s=0) == 0
    assert (await desk.store.ratings.find_one({"_id": stored["_id"]}))["followed_up"] is True
    assert await desk.store.haocha_outbox.count_documents({}) == 1
    assert await desk.store.rectifications.count_documents({"conversation_id": conv["_id"]}) == 1
    opened = {"conversation_id": conv["_id"], "event": "rectification_opened"}
    assert await desk.store.timeline.count_documents(opened) == 1

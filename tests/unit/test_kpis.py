"""KPI figures on a hand-made fixture; expected values computed by hand (see docs/kpis.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.domain.kpis import assigned_in_hours, compute, coverage, percentile, policy_on_time, unanswered_on_time

UTC = dt.UTC
DAY = dt.date(2026, 10, 12)  # a Monday, ordinary workday


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 10, 12, hour, minute, second, tzinfo=UTC)  # 02:00Z = 10:00 Shanghai


def served(cid: str, assigned: dt.datetime, fr_s: float, wait_s: float, **kw) -> dict:
    return {"_id": cid, "handed_off": True, "served_by": ["a1"], "department": "housing-fund",
            "queued_at": assigned - dt.timedelta(seconds=wait_s), "assigned_at": assigned,
            "first_response_at": assigned + dt.timedelta(seconds=fr_s), "matter": "housing-fund-loan",
            "channel": "app", **kw}


CONVS = [
    {"_id": "c1", "handed_off": False, "bot_resolved": True, "state": "closed", "matter": "residence-permit",
     "channel": "app"},
    {"_id": "c2", "handed_off": False, "state": "closed", "matter": "residence-permit", "channel": "pc"},
    {"_id": "c3", "handed_off": False, "state": "bot", "channel": "pc"},
    served("c4", at(2), 30, 20, state="closed", resolved=True),
    served("c5", at(3), 90, 40, state="closed", resolved=False),
    served("c6", at(4), 45, 10, state="escalated", escalated=True),
    served("c7", at(13), 300, 100, state="closed", resolved=True),  # 21:00 in Shanghai: out of hours
    {"_id": "c8", "handed_off": True, "state": "queued", "queued_at": at(5), "matter": "housing-fund-loan",
     "channel": "app", "department": "housing-fund"},
]
RATINGS = [
    {"conversation_id": "c2", "target": "bot", "score": 4, "resolved": True},
    {"conversation_id": "c4", "target": "agent", "score": 5, "resolved": True},
    {"conversation_id": "c5", "target": "agent", "score": 1, "resolved": False},
]


@pytest.fixture(scope="module")
def k() -> dict:
    return compute(CONVS, RATINGS, assigned_in_hours)


def test_bot_resolution(k: dict) -> None:
    # c1 (bot_resolved) and c2 (rated resolved) out of 8 conversations
    assert k["bot"] == {"conversations": 8, "resolved": 2, "handed_off": 5, "resolution_rate": 0.25}


def test_human_resolution(k: dict) -> None:
    # finished: c4 c5 c6 c7; resolved and not escalated: c4 c7
    assert k["human"] == {"served": 4, "finished": 4, "resolved": 2, "resolution_rate": 0.5}


def test_escalation(k: dict) -> None:
    assert k["escalation"]["escalated"] == 1 and k["escalation"]["rate"] == 0.25


def test_first_response_in_working_hours_only(k: dict) -> None:
    # c4 30 s, c5 90 s, c6 45 s; c7 was assigned at 21:00 and is left out
    assert k["first_response"] == {"count": 3, "p50_s": 45.0, "p90_s": 90.0, "within_60s": 0.6667}


def test_first_response_without_hours_filter() -> None:
    fr = compute(CONVS, RATINGS)["first_response"]
    assert fr["count"] == 4 and fr["within_60s"] == 0.5 and fr["p90_s"] == 300.0


def test_wait(k: dict) -> None:
    # 10, 20, 40, 100 s
    assert k["wait"] == {"count": 4, "p50_s": 20.0, "p90_s": 100.0}


def test_ratings(k: dict) -> None:
    assert k["ratings"]["distribution"]["agent"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}
    assert k["ratings"]["average"] == {"bot": 4.0, "agent": 3.0}
    assert k["ratings"]["count"] == 3


def test_volume(k: dict) -> None:
    assert k["by_matter"] == {"housing-fund-loan": 5, "residence-permit": 2, "unknown": 1}
    assert k["by_channel"] == {"app": 6, "pc": 2}


def test_percentile_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile([1, 2, 3, 4], 75) == 3


def test_in_hours() -> None:
    assert assigned_in_hours({"assigned_at": at(2), "department": "housing-fund"})
    assert not assigned_in_hours({"assigned_at": at(13), "department": "housing-fund"})
    assert not assigned_in_hours({"assigned_at": dt.datetime(2026, 10, 5, 2, tzinfo=UTC), "department": "x"})


def test_coverage() -> None:
    aspects = ["conditions", "fees"]
    articles = [
        {"_id": "a.conditions", "matter": "a", "aspect": "conditions", "status": "published"},
        {"_id": "a.fees", "matter": "a", "aspect": "fees", "status": "published"},
        {"_id": "b.conditions", "matter": "b", "aspect": "conditions", "status": "published"},
        {"_id": "b.fees", "matter": "b", "aspect": "fees", "status": "retired"},
        {"_id": "c.conditions", "matter": "c", "aspect": "conditions"},
        {"_id": "c.fees", "matter": "c", "aspect": "fees", "policy_effective_date": "2026-11-01"},
    ]
    out = coverage(["a", "b", "c"], articles, DAY, aspects)
    assert out == {"matters": 3, "covered": 1, "rate": 0.3333, "missing": ["b", "c"]}
    assert coverage(["a", "b", "c"], articles, dt.date(2026, 11, 1), aspects)["covered"] == 2


def test_unanswered_on_time() -> None:
    today = dt.date(2026, 10, 14)
    entries = [
        {"status": "answered", "deadline": "2026-10-12", "answered_at": dt.datetime(2026, 10, 12, 2, tzinfo=UTC)},
        {"status": "answered", "deadline": "2026-10-12", "answered_at": dt.datetime(2026, 10, 13, 1, tzinfo=UTC)},
        {"status": "open", "deadline": "2026-10-13"},
        {"status": "open", "deadline": "2026-10-20"},
        {"status": "dismissed", "deadline": "2026-10-01"},
    ]
    assert unanswered_on_time(entries, today) == {"due": 3, "on_time": 1, "rate": 0.3333}


def test_policy_on_time() -> None:
    today = dt.date(2026, 10, 14)
    versions = [
        # takes effect 8 Oct (after National Day): last publish day 30 Sep -> on time
        {"policy_effective_date": "2026-10-08", "status": "published",
         "published_at": dt.datetime(2026, 9, 30, 2, tzinfo=UTC)},
        # takes effect Mon 12 Oct: last publish day is the make-up Saturday 10 Oct; published Sunday -> late
        {"policy_effective_date": "2026-10-12", "status": "published",
         "published_at": dt.datetime(2026, 10, 11, 2, tzinfo=UTC)},
        {"policy_effective_date": "2026-10-16", "status": "draft"},  # still possible: not due
        {"policy_effective_date": "2026-10-14", "status": "draft"},  # missed
        {"status": "published", "published_at": dt.datetime(2026, 10, 1, tzinfo=UTC)},  # no policy date
    ]
    assert policy_on_time(versions, today) == {"due": 3, "on_time": 1, "rate": 0.3333}

"""The version of an article in force on a given day (policy changes)."""

from __future__ import annotations

import datetime as dt

from kb.versions import in_force, on_time

V1 = {"_id": "m.fees@1", "article_id": "m.fees", "version": 1, "status": "published", "answer": "免费"}
V2 = {
    "_id": "m.fees@2",
    "article_id": "m.fees",
    "version": 2,
    "status": "published",
    "answer": "收费10元",
    "policy_effective_date": "2026-10-08",
}
V3 = {"_id": "m.fees@3", "article_id": "m.fees", "version": 3, "status": "draft", "answer": "草稿"}
OTHER = {"_id": "m.time", "version": 4, "status": "published", "answer": "5个工作日"}


def answers(day: dt.date) -> dict[str, str]:
    return {str(d.get("article_id") or d["_id"]): d["answer"] for d in in_force([V1, V2, V3, OTHER], day)}


def test_old_version_before_the_policy_date() -> None:
    assert answers(dt.date(2026, 10, 7)) == {"m.fees": "免费", "m.time": "5个工作日"}


def test_new_version_from_the_policy_date() -> None:
    assert answers(dt.date(2026, 10, 8))["m.fees"] == "收费10元"
    assert answers(dt.date(2027, 1, 1))["m.fees"] == "收费10元"


def test_drafts_and_retired_are_never_in_force() -> None:
    retired = {**V2, "status": "retired"}
    docs = in_force([V1, retired, V3], dt.date(2026, 12, 1))
    assert [d["answer"] for d in docs] == ["免费"]


def test_same_date_higher_version_wins() -> None:
    fix = {**V2, "_id": "m.fees@4", "version": 4, "answer": "收费8元"}
    assert answers_of([V1, V2, fix], dt.date(2026, 10, 9)) == ["收费8元"]


def answers_of(docs: list[dict], day: dt.date) -> list[str]:
    return [d["answer"] for d in in_force(docs, day)]


def test_on_time_means_one_workday_before() -> None:
    assert on_time(dt.date(2026, 10, 8), dt.date(2026, 9, 30))
    assert not on_time(dt.date(2026, 10, 8), dt.date(2026, 10, 7))
    assert not on_time(dt.date(2026, 10, 8), None)

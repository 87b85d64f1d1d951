"""Policy changes: which version of a knowledge-base article is in force on a given day.

A version may carry `policy_effective_date` (the day a new policy starts). It must be
published at least one working day before that day; before it, the previous version
stays in force, so the bot answers from the version in force on the day of the question.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from core.workcal import workdays_before

PUBLISH_LEAD_WORKDAYS = 1
INACTIVE = ("draft", "retired", "rejected")


def parse_day(value: Any) -> dt.date | None:
    """A date from a date, a datetime or an ISO string; None when empty or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def base_id(doc: Mapping[str, Any]) -> str:
    """The id of the article a version belongs to."""
    return str(doc.get("article_id") or doc.get("_id") or doc.get("id"))


def in_force(articles: Iterable[Mapping[str, Any]], day: dt.date) -> list[Mapping[str, Any]]:
    """Per article, the active version in force on `day`.

    A version is in force from its `policy_effective_date` (or always, without one); the
    in-force version is the one with the latest such date on or before `day`, the higher
    `version` breaking ties. Versions taking effect after `day`, drafts and retired
    versions are left out.
    """
    best: dict[str, tuple[tuple[dt.date, int], Mapping[str, Any]]] = {}
    for doc in articles:
        if doc.get("status") in INACTIVE:
            continue
        start = parse_day(doc.get("policy_effective_date")) or dt.date.min
        if start > day:
            continue
        rank = (start, int(doc.get("version") or 1))
        key = base_id(doc)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, doc)
    return [doc for _, doc in best.values()]


def publish_by(effective: dt.date) -> dt.date:
    """The last day a version taking effect on `effective` may be published."""
    return workdays_before(effective, PUBLISH_LEAD_WORKDAYS)


def publish_warning(effective: dt.date | None, today: dt.date) -> str | None:
    """A Chinese warning when publishing today is later than the rule allows, else None."""
    if effective is None:
        return None
    last = publish_by(effective)
    if today > last:
        return (
            f"政策生效日为{effective.isoformat()}，应不晚于{last.isoformat()}（生效前1个工作日）发布，"
            "现已无法按时发布，请尽快发布并报告。"
        )
    return None


def on_time(effective: dt.date, published: dt.date | None) -> bool:
    """Whether a version was published at least one working day before it took effect."""
    return published is not None and published <= publish_by(effective)

"""Deadlines on China's calendar: 2026 Mid-Autumn + National Day holidays and their make-up workdays.

2026 (chinese_calendar): Sun 20 Sep is a make-up workday; 25-27 Sep (Mid-Autumn) and
1-7 Oct (National Day) are holidays; Sat 10 Oct is a make-up workday.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.domain.unanswered import deadline_for
from core.workcal import add_workdays, is_workday, workdays_before
from kb.versions import publish_by, publish_warning

D = dt.date


@pytest.mark.parametrize("day, expected", [
    (D(2026, 9, 20), True),    # Sunday, make-up workday
    (D(2026, 9, 25), False),   # Friday, Mid-Autumn
    (D(2026, 10, 5), False),   # Monday, National Day
    (D(2026, 10, 10), True),   # Saturday, make-up workday
    (D(2026, 10, 11), False),  # ordinary Sunday
])
def test_is_workday(day: dt.date, expected: bool) -> None:
    assert is_workday(day) is expected


def test_five_workdays_across_national_day_and_makeup_saturday() -> None:
    # 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct (make-up), 12 Oct
    assert add_workdays(D(2026, 9, 29), 5) == D(2026, 10, 12)


def test_five_workdays_counting_a_makeup_sunday() -> None:
    # Sun 20 Sep (make-up), 21, 22, 23, 24 Sep
    assert add_workdays(D(2026, 9, 18), 5) == D(2026, 9, 24)


def test_deadline_uses_shanghai_date() -> None:
    # 20:00 UTC on 30 Sep is 04:00 on 1 Oct in Shanghai: count from 1 Oct -> 8, 9, 10, 12, 13 Oct
    asked = dt.datetime(2026, 9, 30, 20, 0, tzinfo=dt.UTC)
    assert deadline_for(asked) == D(2026, 10, 13)


def test_workdays_before_skips_the_holiday() -> None:
    assert workdays_before(D(2026, 10, 8), 1) == D(2026, 9, 30)
    assert workdays_before(D(2026, 10, 12), 1) == D(2026, 10, 10)


def test_policy_publish_deadline_and_warning() -> None:
    assert publish_by(D(2026, 10, 8)) == D(2026, 9, 30)
    assert publish_warning(D(2026, 10, 8), D(2026, 9, 30)) is None
    warning = publish_warning(D(2026, 10, 8), D(2026, 10, 2))
    assert warning and "2026-09-30" in warning

"""Human help hours: weekdays 9:00-17:00 Shanghai, statutory holidays closed, make-up workdays open."""

from __future__ import annotations

import datetime as dt

from core.workcal import SHANGHAI, help_status


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_open_on_a_weekday_inside_hours() -> None:
    s = help_status("housing-fund", at(2026, 11, 25, 10))
    assert s.open and s.closes_at == at(2026, 11, 25, 17)


def test_before_opening_points_to_the_same_morning() -> None:
    s = help_status("housing-fund", at(2026, 11, 25, 7, 30))
    assert not s.open and s.next_open == at(2026, 11, 25, 9)


def test_friday_evening_points_to_monday() -> None:
    s = help_status("housing-fund", at(2026, 11, 27, 18))
    assert not s.open and s.next_open == at(2026, 11, 30, 9)


def test_national_day_is_closed_and_reopens_after_the_holiday() -> None:
    s = help_status("housing-fund", at(2026, 10, 2, 10))
    assert not s.open and s.next_open == at(2026, 10, 8, 9)


def test_make_up_saturday_is_open() -> None:
    s = help_status("housing-fund", at(2026, 10, 10, 10))
    assert s.open


def test_department_override_hours() -> None:
    assert help_status("bigdata-center", at(2026, 11, 25, 19)).open
    assert not help_status("housing-fund", at(2026, 11, 25, 19)).open


def test_utc_input_is_converted_to_shanghai_time() -> None:
    # 02:00 UTC is 10:00 in Shanghai
    assert help_status("housing-fund", dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)).open

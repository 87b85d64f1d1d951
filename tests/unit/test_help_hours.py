"""Human help hours: weekdays 9:00-17:00 Shanghai, statutory holidays closed, make-up workdays open."""

from __future__ import annotations

import datetime as dt

import pytest

from core.catalogue import HELP_CHANNELS, HelpHours, check_help_hours, get_catalogue, hours_in
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


# --- the one calendar per channel (data/catalogue/routing.yml help_hours.channels) ---------------------------


def test_chat_is_the_default_channel() -> None:
    t = at(2026, 11, 25, 8, 45)
    assert help_status("housing-fund", t) == help_status("housing-fund", t, "chat")
    assert not help_status("housing-fund", t).open


def test_phone_lines_keep_their_own_hours() -> None:
    assert help_status("housing-fund", at(2026, 11, 25, 8, 45), "phone").open
    s = help_status("housing-fund", at(2026, 11, 25, 17, 45), "phone")
    assert not s.open and s.next_open == at(2026, 11, 26, 8, 30)


def test_a_channel_without_its_own_override_inherits_the_departments_chat_hours() -> None:
    assert get_catalogue().hours_for("bigdata-center", "hall") == ("09:00", "17:00")  # hall default
    assert get_catalogue().hours_for("bigdata-center", "chat") == ("08:30", "20:00")


def test_every_day_calendar_is_open_on_holidays() -> None:
    assert help_status("hotline-12345", at(2026, 10, 2, 3), "phone").open
    assert not help_status("hotline-12345", at(2026, 10, 2, 3), "chat").open


def test_the_calendar_lists_every_channel_and_department() -> None:
    cal = get_catalogue().help_calendar()
    assert set(cal) == set(HELP_CHANNELS)
    assert cal["phone"]["hotline-12345"] == {"start": "00:00", "end": "24:00", "every_day": True}
    assert cal["chat"]["housing-fund"] == {"start": "09:00", "end": "17:00", "every_day": False}


@pytest.mark.parametrize("bad, message", [
    ({"channels": {"fax": {"default": {"start": "09:00", "end": "17:00"}}}}, "unknown channel"),
    ({"channels": {"phone": {"overrides": {"nowhere": {"start": "09:00", "end": "17:00"}}}}}, "unknown department"),
    ({"overrides": {"housing-fund": {"start": "18:00", "end": "09:00"}}}, "start not after end"),
    ({"channels": {"hall": {"default": {"start": "9:00", "end": "17:00"}}}}, "HH:MM"),
])
def test_a_bad_calendar_is_refused_at_load(bad: dict, message: str) -> None:
    hours = {"default": {"start": "09:00", "end": "17:00"}, **bad}
    with pytest.raises(ValueError, match=message):
        check_help_hours(hours, get_catalogue().departments)


def test_todays_shape_without_channels_stays_valid() -> None:
    hours = {"default": {"start": "09:00", "end": "17:00"}, "overrides": {"bigdata-center": {"start": "08:30",
                                                                                              "end": "20:00"}}}
    check_help_hours(hours, get_catalogue().departments)
    assert hours_in(hours, "housing-fund", "phone") == HelpHours("09:00", "17:00")


def test_an_around_the_clock_calendar_closes_at_midnight_and_reopens_at_once() -> None:
    s = help_status("triage", at(2026, 10, 3, 23, 59), "phone")
    assert s.open and s.closes_at == at(2026, 10, 4, 0)
    assert help_status("triage", at(2026, 10, 4, 0, 0), "phone").open

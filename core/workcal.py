"""Working days and human help hours (Asia/Shanghai, Chinese statutory calendar)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

from core import clock
from core.catalogue import get_catalogue

SHANGHAI = ZoneInfo("Asia/Shanghai")


def is_workday(day: dt.date) -> bool:
    """True on China's working days, make-up workdays included, holidays excluded."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # year beyond the library's table: plain weekdays
        return day.weekday() < 5


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def workdays_before(day: dt.date, days: int) -> dt.date:
    """The date `days` working days before `day`."""
    cur = day
    left = days
    while left > 0:
        cur -= dt.timedelta(days=1)
        if is_workday(cur):
            left -= 1
    return cur


@dataclass(frozen=True)
class HelpStatus:
    open: bool
    next_open: dt.datetime  # now when open
    closes_at: dt.datetime | None


def _hm(value: str) -> dt.time:
    h, m = value.split(":")
    return dt.time(int(h), int(m))


def help_status(department: str, now: dt.datetime | None = None) -> HelpStatus:
    """Whether human help of `department` is open at `now`, and when it opens next."""
    now = (now or clock.now()).astimezone(SHANGHAI)
    start_s, end_s = get_catalogue().hours_for(department)
    start, end = _hm(start_s), _hm(end_s)
    day = now.date()
    if is_workday(day):
        opens = dt.datetime.combine(day, start, SHANGHAI)
        closes = dt.datetime.combine(day, end, SHANGHAI)
        if opens <= now < closes:
            return HelpStatus(True, now, closes)
        if now < opens:
            return HelpStatus(False, opens, None)
    day += dt.timedelta(days=1)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return HelpStatus(False, dt.datetime.combine(day, start, SHANGHAI), None)

"""Working days and human help hours (Asia/Shanghai, Chinese statutory calendar).

A day is decided by the operators' overrides (`data/calendar/holidays.yml`, core/holidays.py) first,
then by the chinese-calendar library, then by plain Monday–Friday; for a year neither covers, with a
loud warning (once per year and process) and `covered: false` in `/healthz`. The file is read at
first use and re-read when it changes (checked every `RELOAD_CHECK_S`), or by `reload_calendar()`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar

from core import clock
from core.catalogue import get_catalogue
from core.holidays import CalendarError, Overrides, load_overrides
from core.settings import get_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
RELOAD_CHECK_S = 30.0
log = logging.getLogger("bangban.calendar")


class _Calendar:
    """The loaded overrides of this process, re-read when the file's modification time changes."""

    def __init__(self) -> None:
        self.path: Path | None = None  # None: the settings' data directory
        self.overrides = Overrides()
        self.mtime: float | None = None
        self.checked_at = float("-inf")
        self.warned: set[int] = set()
        self.lock = threading.Lock()

    def file(self) -> Path:
        return self.path or get_settings().data_dir / "calendar" / "holidays.yml"

    def current(self) -> Overrides:
        if time.monotonic() - self.checked_at >= RELOAD_CHECK_S:
            with self.lock:
                self.checked_at = time.monotonic()
                path = self.file()
                mtime = path.stat().st_mtime if path.exists() else None
                if mtime != self.mtime:
                    self.load(path, mtime)
        return self.overrides

    def load(self, path: Path, mtime: float | None) -> None:
        try:
            self.overrides = load_overrides(path)
        except CalendarError as exc:  # keep the last good overrides; the operator fixes the file
            log.error("calendar overrides not loaded, keeping the previous ones: %s", exc)
        else:
            log.info("calendar overrides loaded from %s: years %s", path, sorted(self.overrides.years))
        self.mtime = mtime


_calendar = _Calendar()


def reload_calendar(path: Path | None = None) -> Overrides:
    """Read the overrides file now (`path`: another file, for tests and tools); returns what is in force."""
    with _calendar.lock:
        _calendar.path = path or _calendar.path
        _calendar.checked_at = time.monotonic()
        file = _calendar.file()
        _calendar.load(file, file.stat().st_mtime if file.exists() else None)
        _calendar.warned.clear()
    return _calendar.overrides


def library_covers(year: int) -> bool:
    """Whether the chinese-calendar library has `year`'s official schedule."""
    try:
        chinese_calendar.is_holiday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def year_covered(year: int) -> bool:
    """Whether `year`'s holidays are known (library or overrides)."""
    return year in _calendar.current().years or library_covers(year)


def _warn_uncovered(year: int) -> None:
    if year not in _calendar.warned:
        _calendar.warned.add(year)
        log.warning("CALENDAR NOT COVERED: no official holiday schedule for %s in chinese-calendar or %s; "
                    "working days fall back to Monday-Friday, so help hours and deadlines may be wrong. "
                    "Add the year to the overrides file (see its header).", year, _calendar.file())


def calendar_status(today: dt.date | None = None) -> dict[str, object]:
    """`{"covered", "year", "next_year_covered"}` for `/healthz`; warns in the log when today's year is uncovered."""
    today = today or clock.now().astimezone(SHANGHAI).date()
    covered = year_covered(today.year)
    if not covered:
        _warn_uncovered(today.year)
    return {"covered": covered, "year": today.year, "next_year_covered": year_covered(today.year + 1)}


def is_workday(day: dt.date) -> bool:
    """True on China's working days, make-up workdays included, holidays excluded."""
    overrides = _calendar.current()
    if day in overrides.holidays:
        return False
    if day in overrides.workdays:
        return True
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year beyond the library: plain weekdays besides the listed days
        if day.year not in overrides.years:
            _warn_uncovered(day.year)
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


def _at(day: dt.date, value: str) -> dt.datetime:
    """`day` at "HH:MM" in Shanghai; "24:00" is the midnight that ends the day."""
    h, m = value.split(":")
    return dt.datetime.combine(day, dt.time(0), SHANGHAI) + dt.timedelta(hours=int(h), minutes=int(m))


def help_status(department: str, now: dt.datetime | None = None) -> HelpStatus:
    """Whether human help of `department` is open at `now`, and when it opens next."""
    now = (now or clock.now()).astimezone(SHANGHAI)
    catalogue = get_catalogue()
    start, end = catalogue.hours_for(department)
    serving = (lambda _day: True) if catalogue.every_day(department) else is_workday
    day = now.date()
    if serving(day):
        opens, closes = _at(day, start), _at(day, end)
        if opens <= now < closes:
            return HelpStatus(True, now, closes)
        if now < opens:
            return HelpStatus(False, opens, None)
    day += dt.timedelta(days=1)
    for _ in range(366):  # hours that never open (start == end) end the search after a year
        if serving(day):
            break
        day += dt.timedelta(days=1)
    return HelpStatus(False, _at(day, start), None)

"""Holiday overrides (data/calendar/holidays.yml) before chinese-calendar; the coverage flag and its warning."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from core import workcal
from core.holidays import CalendarError, load_overrides
from core.settings import ROOT
from core.workcal import add_workdays, calendar_status, is_workday, reload_calendar, year_covered

D = dt.date
# a made-up schedule for a year beyond the library (not the real 2027 one, which is not published)
FILE_2031 = """
years:
  2031:
    source: "test schedule"
    holidays:
      - 2031-01-01
      - 2031-10-01..2031-10-07
    workdays:
      - 2031-09-28   # a Sunday
"""


@pytest.fixture
def overrides(tmp_path: Path):
    """Point the calendar at a temporary file; put the repository's file back afterwards."""
    path = tmp_path / "holidays.yml"

    def write(text: str) -> Path:
        path.write_text(text, encoding="utf-8")
        reload_calendar(path)
        return path

    yield write
    reload_calendar(ROOT / "data" / "calendar" / "holidays.yml")


def test_overrides_decide_before_the_weekday_fallback(overrides):
    assert is_workday(D(2031, 10, 1))  # a Wednesday, plain weekday without the file
    overrides(FILE_2031)
    assert not is_workday(D(2031, 1, 1)) and not is_workday(D(2031, 10, 3))
    assert is_workday(D(2031, 9, 28))        # make-up Sunday
    assert is_workday(D(2031, 10, 8))        # unlisted Wednesday
    assert not is_workday(D(2031, 10, 12))   # unlisted Sunday
    assert add_workdays(D(2031, 9, 30), 1) == D(2031, 10, 8)


def test_overrides_win_over_the_library(overrides):
    assert is_workday(D(2026, 9, 20))  # the library's make-up Sunday
    overrides('years:\n  2026:\n    source: "correction"\n    holidays: [2026-09-20]\n')
    assert not is_workday(D(2026, 9, 20))
    assert is_workday(D(2026, 10, 10)) and not is_workday(D(2026, 10, 5))  # the rest still from the library


def test_coverage_flag_and_loud_warning(overrides, caplog):
    overrides("years: {}\n")
    with caplog.at_level(logging.WARNING, logger="bangban.calendar"):
        assert calendar_status(D(2031, 3, 1)) == {"covered": False, "year": 2031, "next_year_covered": False}
        calendar_status(D(2031, 3, 2))
    warnings = [r for r in caplog.records if "CALENDAR NOT COVERED" in r.getMessage()]
    assert len(warnings) == 1 and "2031" in warnings[0].getMessage()  # once per year, not per call
    assert calendar_status(D(2026, 5, 1))["covered"] and not year_covered(2031)
    overrides(FILE_2031)
    assert calendar_status(D(2031, 3, 1)) == {"covered": True, "year": 2031, "next_year_covered": False}
    assert calendar_status(D(2030, 12, 1))["next_year_covered"]


def test_a_changed_file_is_reloaded_without_restart(overrides, monkeypatch):
    path = overrides("years: {}\n")
    assert not year_covered(2031)
    path.write_text(FILE_2031, encoding="utf-8")
    monkeypatch.setattr(workcal, "RELOAD_CHECK_S", 0.0)
    workcal._calendar.mtime = -1.0  # as if the file's modification time changed
    assert year_covered(2031)


def test_a_broken_file_keeps_the_previous_overrides(overrides, caplog):
    overrides(FILE_2031)
    with caplog.at_level(logging.ERROR, logger="bangban.calendar"):
        overrides("years:\n  2031:\n    source: x\n    holidays: [2031-02-30]\n")
    assert year_covered(2031) and not is_workday(D(2031, 1, 1))
    assert any("day is out of range" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("text", "message"), [
    ("years:\n  2031:\n    holidays: [2031-01-01]\n", "needs 'source'"),
    ("years:\n  2031:\n    source: s\n    holidays: [2030-12-31]\n", "is not in 2031"),
    ("years:\n  2031:\n    source: s\n    holidays: [2031-01-05..2031-01-01]\n", "ends before it starts"),
    ("years:\n  2031:\n    source: s\n    holidays: [2031-01-01]\n    workdays: [2031-01-01]\n",
     "both holiday and workday: 2031-01-01"),
    ("years:\n  next:\n    source: s\n", "year 'next' is not a number"),
    ("years: [2031]\n", "'years' must be a mapping"),
])
def test_malformed_files_are_refused_with_the_entry_named(tmp_path, text, message):
    path = tmp_path / "holidays.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError, match=message):
        load_overrides(path)


def test_the_shipped_file_is_valid_and_invents_no_2027_schedule():
    shipped = load_overrides(ROOT / "data" / "calendar" / "holidays.yml")
    assert 2027 not in shipped.years

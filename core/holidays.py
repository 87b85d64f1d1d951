"""Holiday overrides: the dated file `data/calendar/holidays.yml` operators update each year.

Per year: `holidays` (days off, weekdays included) and `workdays` (make-up working days on a
weekend), as single dates or `FROM..TO` ranges. A year listed in the file counts as covered even
when the chinese-calendar library does not know it. Format and steps: the file's own header.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class CalendarError(ValueError):
    """The overrides file is malformed; the message names the file, the year and the entry."""


@dataclass(frozen=True)
class Overrides:
    """The parsed file: which years it covers and which days it decides."""

    years: frozenset[int] = frozenset()
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    sources: dict[int, str] = field(default_factory=dict)


def _day(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CalendarError(f"{where}: not a date (YYYY-MM-DD): {value!r}") from None


def _days(entries: Any, year: int, where: str) -> set[dt.date]:
    """The dates of a list of `YYYY-MM-DD` and `YYYY-MM-DD..YYYY-MM-DD` entries, all inside `year`."""
    if entries is None:
        return set()
    if not isinstance(entries, list):
        raise CalendarError(f"{where}: must be a list of dates")
    days: set[dt.date] = set()
    for entry in entries:
        first, _, last = str(entry).partition("..") if isinstance(entry, str) else (entry, "", "")
        start = _day(first, where)
        end = _day(last, where) if last else start
        if end < start:
            raise CalendarError(f"{where}: range ends before it starts: {entry!r}")
        if start.year != year or end.year != year:
            raise CalendarError(f"{where}: {entry!r} is not in {year}")
        days.update(start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    return days


def parse_overrides(doc: Any, source: str) -> Overrides:
    """Validate the loaded YAML document of `source` (a path, for messages)."""
    if doc is None:
        return Overrides()
    years_doc = doc.get("years") if isinstance(doc, dict) else None
    if years_doc is None:
        return Overrides()
    if not isinstance(years_doc, dict):
        raise CalendarError(f"{source}: 'years' must be a mapping of year to holidays and workdays")
    years, holidays, workdays, sources = set(), set(), set(), {}
    for key, entry in years_doc.items():
        try:
            year = int(key)
        except (TypeError, ValueError):
            raise CalendarError(f"{source}: year {key!r} is not a number") from None
        if not isinstance(entry, dict) or not entry.get("source"):
            raise CalendarError(f"{source}: {year}: needs 'source' (the official notice) and its dates")
        off = _days(entry.get("holidays"), year, f"{source}: {year}.holidays")
        on = _days(entry.get("workdays"), year, f"{source}: {year}.workdays")
        both = sorted(off & on)
        if both:
            raise CalendarError(f"{source}: {year}: both holiday and workday: {', '.join(map(str, both))}")
        years.add(year)
        holidays |= off
        workdays |= on
        sources[year] = str(entry["source"])
    return Overrides(frozenset(years), frozenset(holidays), frozenset(workdays), sources)


def load_overrides(path: Path) -> Overrides:
    """The overrides in `path`; none when the file does not exist."""
    if not path.exists():
        return Overrides()
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for an impossible date
        raise CalendarError(f"{path}: not valid YAML: {exc}") from None
    return parse_overrides(doc, str(path))

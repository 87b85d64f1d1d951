"""HELP_HOURS: routing.yml's help hours replaced from the environment; every-day hours, "24:00", never open."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from core import workcal
from core.catalogue import load_catalogue
from core.settings import SettingsError, load_settings
from core.workcal import SHANGHAI, help_status

SATURDAY_NIGHT = dt.datetime(2026, 11, 28, 23, 30, tzinfo=SHANGHAI)


@pytest.fixture
def hours(monkeypatch):
    """Install `spec` as the catalogue's help hours for help_status."""
    def install(spec: dict) -> None:
        catalogue = dataclasses.replace(load_catalogue(), help_hours=spec)
        monkeypatch.setattr(workcal, "get_catalogue", lambda: catalogue)
    return install


def test_every_day_until_midnight(hours):
    hours({"default": {"start": "00:00", "end": "24:00", "days": "all"}})
    s = help_status("housing-fund", SATURDAY_NIGHT)
    assert s.open and s.closes_at == dt.datetime(2026, 11, 29, 0, 0, tzinfo=SHANGHAI)


def test_working_days_by_default_and_per_department(hours):
    hours({"default": {"start": "09:00", "end": "17:00"},
           "overrides": {"bigdata-center": {"start": "08:00", "end": "24:00", "days": "all"}}})
    assert not help_status("housing-fund", SATURDAY_NIGHT).open
    assert help_status("housing-fund", SATURDAY_NIGHT).next_open == dt.datetime(2026, 11, 30, 9, tzinfo=SHANGHAI)
    assert help_status("bigdata-center", SATURDAY_NIGHT).open


def test_hours_that_never_open(hours):
    hours({"default": {"start": "00:00", "end": "00:00"}})
    for h in (0, 9, 23):
        assert not help_status("education", SATURDAY_NIGHT.replace(hour=h)).open


def test_the_setting_is_checked(monkeypatch):
    spec = {"default": {"start": "00:00", "end": "24:00", "days": "all"}}
    monkeypatch.setenv("HELP_HOURS", json.dumps(spec))
    assert load_settings().help_hours == spec
    monkeypatch.setenv("HELP_HOURS", '{"default": {"start": "09:00"}}')
    with pytest.raises(SettingsError, match="HELP_HOURS"):
        load_settings()
    for bad in ("not json", "[]", '{"default": {"start": "9h", "end": "17:00"}}',
                '{"default": {"start": "09:00", "end": "17:00"}, "overrides": ["education"]}'):
        monkeypatch.setenv("HELP_HOURS", bad)
        with pytest.raises(SettingsError, match="HELP_HOURS"):
            load_settings()

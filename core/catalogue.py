"""The matter catalogue, departments and routing rules, read from `data/catalogue/`.

The one reader of those files: `load_catalogue()` parses them, `get_catalogue()` keeps the
process-wide copy; the bridge, the bot, the knowledge base and the tools all go through these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from core.settings import get_settings


@dataclass(frozen=True)
class Matter:
    id: str
    name: str
    kind: str
    department: str
    retired: bool = False  # kept in the files, neither offered by the bot nor routed (docs/kb-format.md)


@dataclass(frozen=True)
class Department:
    id: str
    name: str


@dataclass(frozen=True)
class Catalogue:
    matters: dict[str, Matter]
    departments: dict[str, Department]
    rules: tuple[dict, ...]
    fallback: str
    help_hours: dict
    phone_lines: dict = field(default_factory=dict)  # line -> {name, department, ivr: {choice: {matter|department}}}

    def route(self, matter: str | None, scope: str | None = None) -> str:
        """Department that serves a conversation about `matter` with the bot's `scope`."""
        for rule in self.rules:
            if "scope" in rule and rule["scope"] != scope:
                continue
            if "matter" in rule and rule["matter"] != matter:
                continue
            return rule["department"]
        if matter and matter in self.matters and not self.matters[matter].retired:
            return self.matters[matter].department
        return self.fallback

    def hours_for(self, department: str, channel: str = "chat") -> tuple[str, str]:
        """`(start, end)` of human help of `department` on `channel` (the one help-hours calendar)."""
        spec = self.help_hours_of(department, channel)
        return spec.start, spec.end

    def help_hours_of(self, department: str, channel: str = "chat") -> HelpHours:
        """The help hours of `department` on `channel` (`HELP_CHANNELS`), days included."""
        return hours_in(self.help_hours, department, channel)

    def every_day(self, department: str, channel: str = "chat") -> bool:
        """Whether `department`'s help hours apply every day (`days: all`), not only working days."""
        return self.help_hours_of(department, channel).every_day

    def help_calendar(self) -> dict[str, dict[str, dict]]:
        """Every channel's hours per department: `{channel: {department: {start, end, every_day}}}`."""
        return {ch: {d: vars(self.help_hours_of(d, ch)) for d in self.departments} for ch in HELP_CHANNELS}


HELP_CHANNELS = ("chat", "phone", "hall")  # online human help, the consultation lines, the service halls
_HM = re.compile(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")  # 24:00 only as an end: open until midnight


@dataclass(frozen=True)
class HelpHours:
    start: str  # HH:MM, Asia/Shanghai
    end: str
    every_day: bool = False  # open on holidays and weekends too (else China's working days only)


def hours_in(help_hours: dict, department: str, channel: str = "chat") -> HelpHours:
    """The hours of `department` on `channel`: the channel's override, the channel's default, then the
    top-level override and default (the online chat's calendar, which every channel inherits)."""
    spec = help_hours.get("channels", {}).get(channel) or {}
    found = (spec.get("overrides", {}).get(department) or spec.get("default")
             or help_hours.get("overrides", {}).get(department) or help_hours["default"])
    return HelpHours(found["start"], found["end"], found.get("days") == "all")


def check_help_hours(help_hours: dict, departments: dict) -> None:
    """Raise ValueError when the calendar names an unknown channel or department or a bad time."""
    specs = [("default", help_hours["default"]), *help_hours.get("overrides", {}).items()]
    for channel, spec in help_hours.get("channels", {}).items():
        if channel not in HELP_CHANNELS:
            raise ValueError(f"help_hours: unknown channel {channel} (one of {', '.join(HELP_CHANNELS)})")
        specs += [(f"{channel}.default", spec["default"])] if spec.get("default") else []
        specs += [(f"{channel}.{d}", s) for d, s in (spec.get("overrides") or {}).items()]
    for name, spec in specs:
        department = name.split(".")[-1]
        if department != "default" and department not in departments:
            raise ValueError(f"help_hours: unknown department {department}")
        if not (_HM.match(str(spec.get("start"))) and _HM.match(str(spec.get("end")))
                and spec["start"] <= spec["end"] and spec.get("days", "workdays") in ("workdays", "all")):
            raise ValueError(f"help_hours {name}: start and end must be HH:MM with start not after end "
                             "(equal: closed), days workdays or all")


def load_catalogue(data_dir: Path | None = None) -> Catalogue:
    """Parse matters.yml and routing.yml; raise ValueError on inconsistent data."""
    base = (data_dir or get_settings().data_dir) / "catalogue"
    raw = yaml.safe_load((base / "matters.yml").read_text(encoding="utf-8"))
    routing = yaml.safe_load((base / "routing.yml").read_text(encoding="utf-8"))
    departments = {d["id"]: Department(d["id"], d["name"]) for d in raw["departments"]}
    for d in routing.get("extra_departments", []):
        departments[d["id"]] = Department(d["id"], d["name"])
    matters: dict[str, Matter] = {}
    for m in raw["matters"]:
        if m["department"] not in departments:
            raise ValueError(f"matter {m['id']} names unknown department {m['department']}")
        matters[m["id"]] = Matter(m["id"], m["name"], m["kind"], m["department"], bool(m.get("retired")))
    rules = tuple(routing.get("rules", []))
    for rule in rules:
        if rule["department"] not in departments:
            raise ValueError(f"routing rule {rule} names an unknown department")
    fallback = routing["fallback"]
    if fallback not in departments:
        raise ValueError(f"fallback department {fallback} is unknown")
    # HELP_HOURS (settings) replaces routing.yml's calendar when set (tests: 7×24; a temporary change)
    help_hours = routing["help_hours"]
    if get_settings().help_hours:  # the online chat's calendar; the phone and hall calendars stay unless given
        help_hours = {"channels": help_hours.get("channels", {}), **get_settings().help_hours}
    check_help_hours(help_hours, departments)
    lines = routing.get("phone_lines") or {}
    for line, spec in lines.items():
        targets = [spec, *(spec.get("ivr") or {}).values()]
        if any(t.get("department", fallback) not in departments or t.get("matter", next(iter(matters)))
               not in matters for t in targets):
            raise ValueError(f"phone line {line} names an unknown department or matter")
    return Catalogue(matters, departments, rules, fallback, help_hours, lines)


@lru_cache(maxsize=1)
def get_catalogue() -> Catalogue:
    """The process-wide catalogue (read once)."""
    return load_catalogue()

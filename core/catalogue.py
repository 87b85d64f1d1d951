"""The matter catalogue, departments and routing rules, read from `data/catalogue/`.

The one reader of those files: `load_catalogue()` parses them, `get_catalogue()` keeps the
process-wide copy; the bridge, the bot, the knowledge base and the tools all go through these.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def route(self, matter: str | None, scope: str | None = None) -> str:
        """Department that serves a conversation about `matter` with the bot's `scope`."""
        for rule in self.rules:
            if "scope" in rule and rule["scope"] != scope:
                continue
            if "matter" in rule and rule["matter"] != matter:
                continue
            return rule["department"]
        if matter and matter in self.matters:
            return self.matters[matter].department
        return self.fallback

    def hours_for(self, department: str) -> tuple[str, str]:
        spec = self._hours_spec(department)
        return spec["start"], spec["end"]

    def every_day(self, department: str) -> bool:
        """Whether `department`'s help hours apply every day (`days: all`), not only working days."""
        return self._hours_spec(department).get("days") == "all"

    def _hours_spec(self, department: str) -> dict:
        return (self.help_hours.get("overrides") or {}).get(department) or self.help_hours["default"]


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
        matters[m["id"]] = Matter(m["id"], m["name"], m["kind"], m["department"])
    rules = tuple(routing.get("rules", []))
    for rule in rules:
        if rule["department"] not in departments:
            raise ValueError(f"routing rule {rule} names an unknown department")
    fallback = routing["fallback"]
    if fallback not in departments:
        raise ValueError(f"fallback department {fallback} is unknown")
    return Catalogue(matters, departments, rules, fallback, get_settings().help_hours or routing["help_hours"])


@lru_cache(maxsize=1)
def get_catalogue() -> Catalogue:
    """The process-wide catalogue (read once)."""
    return load_catalogue()

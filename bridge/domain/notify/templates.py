"""Notification templates (data/notify/templates.yml): the fields each provider's template gets per kind."""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KINDS = ("reply", "offhours_reply", "your_turn", "workorder", "rating", "rectification")
BEIJING = dt.timezone(dt.timedelta(hours=8))
# WeChat's limits per value type (the key without its number): characters at most
WECHAT_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "name": 10, "number": 32, "letter": 32,
                 "symbol": 5, "amount": 32, "car_number": 8, "phone_number": 17}
_KEY_TYPE = re.compile(r"^([a-z_]+?)\d+$")
VARIABLES = ("matter", "department", "agent", "excerpt", "time", "ticket", "status", "count", "conversation_id")


@dataclass(frozen=True)
class Rendered:
    template_id: str
    data: dict[str, str]
    title: str
    text: str
    page: str


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def wechat_value(key: str, value: str) -> str:
    """`value` cut to what WeChat accepts for a key of its type (e.g. thing1 ≤ 20 characters)."""
    m = _KEY_TYPE.match(key)
    limit = WECHAT_LIMITS.get(m.group(1), 20) if m else 20
    return value if m and m.group(1) in ("time", "date") else clip(value, limit)


class _Vars(dict):
    def __missing__(self, key: str) -> str:
        return ""


def fill(pattern: str, variables: dict[str, Any]) -> str:
    return string.Formatter().vformat(pattern, (), _Vars({k: "" if v is None else v for k, v in variables.items()}))


def beijing_time(t: dt.datetime) -> str:
    return f"{t.astimezone(BEIJING):%Y-%m-%d %H:%M}"


class Templates:
    def __init__(self, spec: dict) -> None:
        self.page = str(spec.get("page", ""))
        self.kinds: dict[str, dict] = spec.get("kinds") or {}
        missing = [k for k in KINDS if k not in self.kinds]
        if missing:
            raise ValueError(f"notification templates: no kind {', '.join(missing)}")

    @classmethod
    def load(cls, path: Path) -> Templates:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def template_ids(self, provider: str) -> set[str]:
        return set(self.by_template(provider))

    def by_template(self, provider: str) -> dict[str, list[str]]:
        """`provider`'s template ids with the kinds each carries."""
        out: dict[str, list[str]] = {}
        for kind, spec in self.kinds.items():
            if provider in spec:
                out.setdefault(spec[provider]["template_id"], []).append(kind)
        return out

    def render(self, kind: str, provider: str, variables: dict[str, Any]) -> Rendered:
        """The template id, fields, title and text of `kind` for `provider` with `variables` filled in."""
        spec = self.kinds[kind]
        own = spec.get(provider) or {}
        data = {key: fill(str(pattern), variables) for key, pattern in (own.get("data") or {}).items()}
        if provider == "wechat":
            data = {key: wechat_value(key, value) for key, value in data.items()}
        elif provider == "alipay":
            data = {key: clip(value, 50) for key, value in data.items()}
        return Rendered(template_id=str(own.get("template_id", "")), data=data,
                        title=fill(str(spec.get("title", "")), variables),
                        text=clip(fill(str(spec.get("text", "")), variables), 120),
                        page=fill(self.page, variables))

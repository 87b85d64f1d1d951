"""What every HTTP handler of the bridge uses: the application context, the caller, JSON answers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aiohttp import web

from bridge.context import AppContext
from bridge.domain.auth import Principal
from core.errors import ApiError

STAFF = ("agent", "supervisor", "admin", "trainer")
SUPERVISORS = ("supervisor", "admin")
DESK = SUPERVISORS + ("agent",)
TRAINERS = ("trainer", "admin")
CONTEXT_KEY = "ctx"
PRINCIPAL_KEY = web.RequestKey("principal", Principal)


def app_context(request: web.Request) -> AppContext:
    """The bridge's application context, set once by the composition root."""
    return request.app[CONTEXT_KEY]


def principal(request: web.Request) -> Principal:
    """The caller, authorized by the route table's guard before the handler runs."""
    return request[PRINCIPAL_KEY]


def jdump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def ok(data: Any, status: int = 200) -> web.Response:
    """A JSON answer (Chinese kept readable, datetimes as text)."""
    return web.json_response(data, status=status, dumps=jdump)


def parse_date(value: str | None, name: str) -> dt.datetime | None:
    """A YYYY-MM-DD (or ISO) query value, Asia/Shanghai when no zone is given."""
    if not value:
        return None
    try:
        d = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "invalid_payload", f"{name} 日期格式应为 YYYY-MM-DD。") from None
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query value clamped to low..high, 400 when it is not a number."""
    try:
        return min(high, max(low, int(request.query.get(name, str(default)))))
    except ValueError:
        raise ApiError(400, "invalid_payload", f"{name} 必须是数字。") from None

"""Health and metrics of the bridge process."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bridge.infra.metrics import render_metrics
from bridge.transport.http.common import app_context, ok
from bridge.transport.http.models import Out
from core.http_routes import RouteTable
from core.workcal import calendar_status

table = RouteTable("health")


class CalendarOut(Out):
    covered: bool  # today's year is in chinese-calendar or data/calendar/holidays.yml
    year: int
    next_year_covered: bool


class HealthOut(Out):
    ok: bool
    bridge: bool
    database: bool
    bot: bool
    actions: bool
    calendar: CalendarOut  # informative: an uncovered year does not make the bridge unready


@table.get("/healthz", summary="Readiness of bridge, database, bot and actions", response=HealthOut,
           errors={503: ("not ready (same body)", HealthOut)})
async def healthz(request: web.Request) -> web.Response:
    ctx = app_context(request)
    db = await ctx.store.ping()
    bot = await ctx.rasa.ready()
    actions = False
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as s:
            async with s.get(f"{ctx.settings.actions_url}/health") as r:
                actions = r.status == 200
    except (aiohttp.ClientError, TimeoutError):
        actions = False
    ready = db and bot and actions
    return ok({"ok": ready, "bridge": True, "database": db, "bot": bot, "actions": actions,
               "calendar": calendar_status()}, status=200 if ready else 503)


@table.get("/metrics", summary="Prometheus metrics (text exposition format)", content="text/plain")
async def metrics(request: web.Request) -> web.Response:
    return render_metrics()

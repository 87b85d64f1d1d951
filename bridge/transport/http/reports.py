"""Supervisor reports: ratings, KPI figures, alerts."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from bridge.domain.kpis import figures
from bridge.domain.scope import department_filter, record_filter, visible_departments
from bridge.transport.http.common import SUPERVISORS, app_context, ok, parse_date, principal
from bridge.transport.http.models import Out, Records
from core.clock import iso
from core.errors import ApiError
from core.http_routes import RouteTable

table = RouteTable("reports")


class KpiQuery(BaseModel):
    from_: str = Field(default="", alias="from", description="YYYY-MM-DD", json_schema_extra={"format": "date"})
    to: str = Field(default="", description="YYYY-MM-DD, exclusive", json_schema_extra={"format": "date"})
    department: str = ""
    channel: str = ""


class RatingsOut(Out):
    ratings: Records


class KpisOut(Out):
    queues: Records


class AlertsOut(Out):
    alerts: Records
    forbidden_words: Records


@table.get("/api/v1/ratings", summary="Latest ratings in the caller's departments", auth=SUPERVISORS,
           response=RatingsOut)
async def ratings(request: web.Request) -> web.Response:
    q = department_filter(principal(request))
    docs = await app_context(request).store.ratings.find(q, {"_id": 0}, sort=[("ts", -1)],
                                                         limit=500).to_list(None)
    for d in docs:
        d["ts"] = iso(d["ts"])
    return ok({"ratings": docs})


def kpi_department(request: web.Request) -> str | None:
    """The department asked for, within the caller's scope (a one-department supervisor gets theirs)."""
    p = principal(request)
    dep = request.query.get("department") or None
    deps = visible_departments(p)
    if p.role == "supervisor" and deps is not None:
        if dep is None and len(deps) == 1:
            dep = deps[0]
        if dep not in deps:
            raise ApiError(403, "forbidden")
    return dep


@table.get("/api/v1/kpis", summary="KPI figures (docs/kpis.md)", auth=SUPERVISORS, query=KpiQuery,
           response=KpisOut)
async def kpis(request: web.Request) -> web.Response:
    ctx = app_context(request)
    dep = kpi_department(request)
    start = parse_date(request.query.get("from"), "from")
    end = parse_date(request.query.get("to"), "to")
    out: dict[str, Any] = await figures(ctx.store, start, end, dep, request.query.get("channel") or None)
    out["queues"] = await ctx.queues.stats([dep] if dep else None)
    out["rectifications_overdue"] = await ctx.rectifications.overdue_count({"department": dep} if dep else {})
    return ok(out)


@table.get("/api/v1/alerts", summary="Latest alerts and forbidden-word audits of the caller's departments",
           auth=SUPERVISORS,
           response=AlertsOut)
async def alerts(request: web.Request) -> web.Response:
    store = app_context(request).store
    scope = record_filter(principal(request))
    docs = await store.alerts.find(scope, {"_id": 0}, sort=[("ts", -1)], limit=100).to_list(None)
    banned = await store.audit.find({"kind": "forbidden_words", **scope}, {"_id": 0}, sort=[("ts", -1)],
                                    limit=100).to_list(None)
    return ok({"alerts": docs, "forbidden_words": banned})

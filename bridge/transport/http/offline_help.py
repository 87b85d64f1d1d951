"""HTTP routes of offline help: helpers log problems met on the spot and follow their own; supervisors' summary.

Helpers (window_staff, volunteer, official) reach only these routes, the KB search and their own photos
(`POST /api/v1/media` with `conversation_id=own`). Their problems are ledger entries (`source: offline`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.domain.auth import OFFLINE_ROLES
from bridge.domain.offline_help import MAX_PHOTOS, READERS
from bridge.domain.staff_accounts import PLACE_MAX
from bridge.trainer import ledger
from bridge.transport.http.common import app_context, int_query, ok, principal
from bridge.transport.http.models import MatterId, Out, Records
from core.clock import now
from core.errors import ApiError
from core.http_routes import RouteTable, body

table = RouteTable("offline-help", denied="仅限线下帮办人员（窗口帮办、帮办员、帮办领导干部）使用。")


class ProblemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    problem: str = Field(min_length=1, max_length=2000, description="what happened")
    matter: MatterId = Field(min_length=1)
    hall: str = Field(default="", max_length=PLACE_MAX, description="the account's hall when empty")
    window: str = Field(default="", max_length=PLACE_MAX, description="the account's window when empty")
    photos: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS,
                              description="media ids of the caller's own uploads (conversation_id=own)")
    consent: bool = Field(default=False, description="the citizen agrees to be contacted")
    contact: str = Field(default="", max_length=40, description="the citizen's phone (kept only with consent)")


class SummaryQuery(BaseModel):
    department: str = ""
    days: int = Field(default=0, description="only entries of the last N days (0: all), clamped to 0..3650")


class ProblemsOut(Out):
    entries: Records


class ProblemOut(Out):
    entry: dict[str, Any]


class SummaryOut(Out):
    total: int
    open: int
    overdue: int
    closed: int
    by_hall: Records
    by_matter: Records
    items: Records


@table.post("/api/v1/offline-help/problems", summary="Log a problem met on the spot (offline helpers)",
            auth=OFFLINE_ROLES, body=ProblemIn, status=201, response=ProblemOut,
            errors={400: "unknown matter", 422: "photos that are not the caller's own uploads, or too many"})
async def log_problem(request: web.Request) -> web.Response:
    """A ledger entry: source offline, found_by the helper (role, hall, window), the default deadline."""
    ctx = app_context(request)
    m = body(request, ProblemIn)
    if m.matter not in ctx.catalogue.matters:
        raise ApiError(400, "unknown_matter")
    data = m.model_dump() | {"department": ctx.catalogue.matters[m.matter].department}
    doc = await ctx.offline_help.log_problem(principal(request), data)
    return ok({"entry": ledger.wire(doc)}, status=201)


@table.get("/api/v1/offline-help/problems", summary="The caller's own logged problems (offline helpers)",
           auth=OFFLINE_ROLES, response=ProblemsOut)
async def my_problems(request: web.Request) -> web.Response:
    docs = await app_context(request).offline_help.mine(principal(request))
    return ok({"entries": [ledger.wire(d) for d in docs]})


@table.get("/api/v1/offline-help/problems/{eid}", summary="One of the caller's own problems (offline helpers)",
           auth=OFFLINE_ROLES, response=ProblemOut, errors={404: "unknown, or another helper's"})
async def my_problem(request: web.Request) -> web.Response:
    doc = await app_context(request).offline_help.one_of_mine(principal(request), request.match_info["eid"])
    return ok({"entry": ledger.wire(doc)})


@table.get("/api/v1/offline-help/summary", summary="Offline help by hall and matter, open and overdue items",
           auth=READERS, query=SummaryQuery, response=SummaryOut)
async def summary(request: web.Request) -> web.Response:
    """Within the caller's departments (trainers and admins: all); `department` only narrows."""
    days = int_query(request, "days", 0, 0, 3650)
    since = now() - dt.timedelta(days=days) if days else None
    out = await app_context(request).offline_help.summary(principal(request), request.query.get("department"),
                                                          since)
    return ok(out)

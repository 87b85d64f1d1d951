"""HTTP routes of 好差评: supervisors' rectification items (核实整改) and the 好差评 report outbox."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bridge.domain.scope import record_filter
from bridge.transport.http.common import SUPERVISORS, app_context, ok, principal
from bridge.transport.http.models import Out, Records
from core.errors import ApiError
from core.http_routes import RouteTable, body

table = RouteTable("haocha")
ITEM_ERRORS = {404: "no such item in the caller's departments", 409: "not possible in the item's status"}


class RectificationsQuery(BaseModel):
    status: Literal["", "open", "claimed", "closed"] = ""
    overdue: Literal["", "0", "1", "true", "false"] = Field(default="", description="1 or true: only overdue items")
    department: str = Field(default="", description="narrows to one department of the caller's scope")


class RectificationsOut(Out):
    rectifications: Records
    overdue: int


class RectificationOut(Out):
    rectification: dict


class RectificationRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verification: str | None = Field(default=None, max_length=2000, description="核实情况")
    result: str | None = Field(default=None, max_length=2000, description="整改结果")


class HaochaReportsQuery(BaseModel):
    state: Literal["", "pending", "sending", "delivered", "skipped", "dead"] = ""


class HaochaReportsOut(Out):
    counts: dict
    reports: Records


class ReportRetryOut(Out):
    report: dict


def _query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError:
        raise ApiError(400, "invalid_payload") from None


def _scope(request: web.Request) -> dict:
    return record_filter(principal(request), request.query.get("department") or None)


def _who(request: web.Request) -> dict:
    p = principal(request)
    return {"role": p.role, "id": p.id, "name": p.name}


@table.get("/api/v1/rectifications", summary="Rectification items (核实整改) of bad ratings in the caller's scope",
           auth=SUPERVISORS, query=RectificationsQuery, response=RectificationsOut)
async def rectifications(request: web.Request) -> web.Response:
    q = _query(request, RectificationsQuery)
    service = app_context(request).rectifications
    scope = _scope(request)
    items = await service.list(scope, q.status, q.overdue in ("1", "true"))
    return ok({"rectifications": items, "overdue": await service.overdue_count(scope)})


@table.post("/api/v1/rectifications/{rid}/claim", summary="Claim a rectification item", auth=SUPERVISORS,
            response=RectificationOut, errors=ITEM_ERRORS)
async def claim(request: web.Request) -> web.Response:
    item = await app_context(request).rectifications.claim(request.match_info["rid"], _scope(request), _who(request))
    return ok({"rectification": item})


@table.put("/api/v1/rectifications/{rid}", summary="Record 核实情况 and 整改结果 on a claimed item",
           auth=SUPERVISORS, body=RectificationRecordIn, response=RectificationOut, errors=ITEM_ERRORS)
async def record(request: web.Request) -> web.Response:
    m = body(request, RectificationRecordIn)
    item = await app_context(request).rectifications.record(request.match_info["rid"], _scope(request),
                                                            _who(request), m.verification, m.result)
    return ok({"rectification": item})


@table.post("/api/v1/rectifications/{rid}/close", summary="Close a rectification item; the citizen is informed",
            auth=SUPERVISORS, response=RectificationOut, errors={**ITEM_ERRORS, 400: "核实情况 or 整改结果 missing"})
async def close(request: web.Request) -> web.Response:
    item = await app_context(request).rectifications.close(request.match_info["rid"], _scope(request), _who(request))
    return ok({"rectification": item})


@table.get("/api/v1/haocha/reports", summary="The 好差评 report outbox: counts by state, latest reports",
           auth=SUPERVISORS, query=HaochaReportsQuery, response=HaochaReportsOut)
async def reports(request: web.Request) -> web.Response:
    q = _query(request, HaochaReportsQuery)
    return ok(await app_context(request).haocha.overview(_scope(request), q.state))


@table.post("/api/v1/haocha/reports/{report_id}/retry", summary="Send a dead-lettered 好差评 report again",
            auth=SUPERVISORS, response=ReportRetryOut,
            errors={404: "no dead letter with this id in the caller's scope"})
async def retry(request: web.Request) -> web.Response:
    item = await app_context(request).haocha.retry(request.match_info["report_id"], _scope(request))
    if item is None:
        raise ApiError(404, "not_found")
    return ok({"report": {"id": item["_id"], "state": item["state"]}})

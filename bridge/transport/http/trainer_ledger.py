"""HTTP routes of the problem ledger (问题台账): CRUD, status flow, hot spots, CSV/XLSX export."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.domain.scope import ledger_filter, record_filter
from bridge.trainer import ledger
from bridge.transport.http.common import app_context, int_query, ok, principal
from bridge.transport.http.models import DepartmentId, MatterId, MatterQuery, OkOut, Out, Records
from bridge.transport.http.trainer import DENIED
from core.audit import audit_read
from core.clock import now
from core.errors import ApiError
from core.http_routes import RouteTable, body

MANAGERS = ("trainer", "supervisor", "admin")
WRITERS = MANAGERS + ("agent",)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE = r"^\d{4}-\d{2}-\d{2}$"
table = RouteTable("ledger", denied=DENIED)
UNKNOWN = {404: "unknown entry"}


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    problem: str = Field(min_length=1, max_length=2000)
    matter: MatterId | None = None
    department: DepartmentId | None = None
    source: str = Field(default="online", pattern="^(online|offline|hotspot)$")
    found_by: str = Field(default="", max_length=100)
    found_where: str = Field(default="", max_length=200)
    plan: str = Field(default="", max_length=2000)
    owner: str = Field(default="", max_length=100)
    deadline: str | None = Field(default=None, pattern=DATE)
    review_date: str | None = Field(default=None, pattern=DATE)
    hotspot: dict | None = None


class EntryPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    problem: str | None = Field(default=None, min_length=1, max_length=2000)
    matter: MatterId | None = None
    department: DepartmentId | None = None
    found_by: str | None = Field(default=None, max_length=100)
    found_where: str | None = Field(default=None, max_length=200)
    plan: str | None = Field(default=None, max_length=2000)
    owner: str | None = Field(default=None, max_length=100)
    deadline: str | None = Field(default=None, pattern=DATE)
    review_date: str | None = Field(default=None, pattern=DATE)
    review_note: str | None = Field(default=None, max_length=2000)
    result: str | None = Field(default=None, max_length=2000)
    status: str | None = Field(default=None, pattern="^(open|rectifying|closed)$")
    note: str = Field(default="", max_length=500)


class LedgerQuery(MatterQuery):
    status: str = Field(default="", description="open, rectifying or closed")
    source: str = Field(default="", description="online, offline or hotspot")


class ExportQuery(LedgerQuery):
    format: Literal["csv", "xlsx"] = "csv"


class HotspotQuery(BaseModel):
    days: int = Field(default=30, description="clamped to 1..365")
    min: int = Field(default=3, description="at least this many unresolved or badly rated (≥ 1)")


class EntriesOut(Out):
    entries: Records


class EntryOut(Out):
    entry: dict[str, Any]


class HotspotsOut(Out):
    days: int
    min: int
    proposals: Records


def check_refs(request: web.Request, matter: str | None, department: str | None) -> str | None:
    """The department of an entry: the one given, else its matter's; 400 for unknown ones."""
    catalogue = app_context(request).catalogue
    if matter and matter not in catalogue.matters:
        raise ApiError(400, "unknown_matter")
    if department and department not in catalogue.departments:
        raise ApiError(400, "unknown_department")
    return department or (catalogue.matters[matter].department if matter else None)


def query_of(request: web.Request) -> dict[str, Any]:
    """The ledger filter of a list or export: the query's fields within the caller's scope."""
    q = {key: request.query[key] for key in ("status", "matter", "source") if request.query.get(key)}
    return {**q, **ledger_filter(principal(request), request.query.get("department"))}


async def entry_of(request: web.Request, eid: str) -> dict[str, Any]:
    """One entry the caller may see (404 for another department's)."""
    doc = await app_context(request).store.ledger.find_one({"_id": eid, **ledger_filter(principal(request))})
    if doc is None:
        raise ApiError(404, "not_found")
    return doc


@table.get("/api/v1/ledger", summary="Problem ledger", auth=WRITERS, query=LedgerQuery, response=EntriesOut)
async def list_entries(request: web.Request) -> web.Response:
    docs = await app_context(request).store.ledger.find(query_of(request), sort=[("created_at", -1)],
                                                        limit=500).to_list(None)
    return ok({"entries": [ledger.wire(d) for d in docs]})


@table.post("/api/v1/ledger", summary="Register a problem", auth=WRITERS, body=EntryIn, status=201,
            response=EntryOut)
async def create(request: web.Request) -> web.Response:
    p = principal(request)
    m = body(request, EntryIn)
    data = m.model_dump()
    data["department"] = check_refs(request, m.matter, m.department)
    doc = ledger.new_entry(data, {"id": p.id, "name": p.name, "role": p.role})
    await app_context(request).store.ledger.insert_one(doc)
    return ok({"entry": ledger.wire(doc)}, status=201)


@table.get("/api/v1/ledger/hotspots", summary="Hot-spot proposals from online help", auth=MANAGERS,
           query=HotspotQuery, response=HotspotsOut)
async def hotspots(request: web.Request) -> web.Response:
    ctx = app_context(request)
    days = int_query(request, "days", 30, 1, 365)
    min_count = int_query(request, "min", 3, 1, 10**9)
    convs = await ctx.store.conversations.find(
        {"created_at": {"$gte": now() - dt.timedelta(days=days)}, **record_filter(principal(request))},
        {"matter": 1, "state": 1, "resolved": 1}
    ).to_list(None)
    ids = [c["_id"] for c in convs]
    ratings = await ctx.store.ratings.find({"conversation_id": {"$in": ids}}).to_list(None) if ids else []
    tracked = {d.get("matter") for d in await ctx.store.ledger.find(
        {"source": "hotspot", "status": {"$ne": "closed"}}, {"matter": 1}).to_list(None)}
    proposals = []
    for spot in ledger.hotspots(convs, ratings, min_count):
        known = ctx.catalogue.matters.get(spot["matter"])
        name = known.name if known else spot["matter"]
        proposals.append({**spot, "name": name, "tracked": spot["matter"] in tracked,
                          "problem": f"近{days}天“{name}”有{spot['unresolved']}次咨询未解决、"
                                     f"{spot['bad_ratings']}次差评，建议挂账分析原因并整改。"})
    return ok({"days": days, "min": min_count, "proposals": proposals})


@table.get("/api/v1/ledger/export", summary="Export the ledger as CSV or XLSX", auth=WRITERS, query=ExportQuery,
           content="text/csv", also=(XLSX,))
async def export(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise ApiError(400, "invalid_payload", "format 只能是 csv 或 xlsx。")
    ctx = app_context(request)
    docs = await ctx.store.ledger.find(query_of(request), sort=[("created_at", 1)]).to_list(None)
    await audit_read(ctx.store.audit, principal(request), "export", "ledger", format=fmt, rows=len(docs))
    body_, ctype = (ledger.to_xlsx(docs), XLSX) if fmt == "xlsx" else (ledger.to_csv(docs), "text/csv; charset=utf-8")
    disposition = f'attachment; filename="ledger-{now():%Y%m%d}.{fmt}"'
    return web.Response(body=body_, headers={"Content-Type": ctype, "Content-Disposition": disposition})


@table.get("/api/v1/ledger/{eid}", summary="One ledger entry", auth=WRITERS, response=EntryOut, errors=UNKNOWN)
async def get_entry(request: web.Request) -> web.Response:
    """An offline entry's citizen contact is shown here unmasked to managers (the read is audited)."""
    doc = await entry_of(request, request.match_info["eid"])
    p = principal(request)
    reveal = p.role in MANAGERS and bool((doc.get("citizen") or {}).get("contact"))
    if reveal:
        await audit_read(app_context(request).store.audit, p, "ledger_contact", doc["_id"])
    return ok({"entry": ledger.wire(doc, reveal=reveal)})


def status_update(doc: dict[str, Any], m: EntryPatch, changes: dict[str, Any], who: dict[str, str]) -> dict:
    """The MongoDB update of a patch: the changes, the status and, when it moves, its history."""
    status = m.status or doc["status"]
    try:
        ledger.check_transition(doc, status, changes)
    except ledger.LedgerError as exc:
        raise ApiError(409, "invalid_state", str(exc)) from None
    t = now()
    update: dict[str, Any] = {"$set": {**changes, "status": status, "updated_at": t}}
    if status != doc["status"]:
        if status == "closed":
            update["$set"]["closed_at"] = t
        update["$push"] = {"history": {"ts": t, "by": who, "status": status, "from": doc["status"],
                                       "note": m.note}}
    return update


@table.patch("/api/v1/ledger/{eid}", summary="Update an entry or move its status (open→rectifying→closed)",
             auth=MANAGERS, body=EntryPatch, response=EntryOut,
             errors={**UNKNOWN, 409: "transition not allowed, or changed meanwhile"})
async def patch(request: web.Request) -> web.Response:
    p = principal(request)
    doc = await entry_of(request, request.match_info["eid"])
    m = body(request, EntryPatch)
    changes = {k: v for k, v in m.model_dump(exclude={"status", "note"}).items() if v is not None}
    if "matter" in changes or "department" in changes:
        changes["department"] = check_refs(request, changes.get("matter", doc.get("matter")),
                                           changes.get("department"))
    update = status_update(doc, m, changes, {"id": p.id, "name": p.name})
    res = await app_context(request).store.ledger.update_one({"_id": doc["_id"], "status": doc["status"]}, update)
    if not res.matched_count:
        raise ApiError(409, "invalid_state", "台账已被他人修改，请刷新。")
    return ok({"entry": ledger.wire(await entry_of(request, doc["_id"]))})


@table.delete("/api/v1/ledger/{eid}", summary="Delete an entry", auth=("supervisor", "admin"), response=OkOut,
              errors=UNKNOWN)
async def delete(request: web.Request) -> web.Response:
    doc = await entry_of(request, request.match_info["eid"])
    await app_context(request).store.ledger.delete_one({"_id": doc["_id"]})
    return ok({"ok": True})

"""HTTP routes of the problem ledger (问题台账): CRUD, status flow, hot spots, CSV/XLSX export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.trainer import ledger
from bridge.transport.http.api import body_of, ok
from bridge.transport.http.trainer_nlu import principal
from core.clock import now
from core.errors import ApiError

MANAGERS = ("trainer", "supervisor", "admin")
WRITERS = MANAGERS + ("agent",)
DATE = r"^\d{4}-\d{2}-\d{2}$"


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    problem: str = Field(min_length=1, max_length=2000)
    matter: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=64)
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
    matter: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=64)
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


def setup(app: web.Application, ctx) -> None:
    routes = web.RouteTableDef()

    def check_refs(matter: str | None, department: str | None) -> str | None:
        if matter and matter not in ctx.catalogue.matters:
            raise ApiError(400, "unknown_matter")
        if department and department not in ctx.catalogue.departments:
            raise ApiError(400, "unknown_department")
        return department or (ctx.catalogue.matters[matter].department if matter else None)

    def query_of(request: web.Request) -> dict[str, Any]:
        q: dict[str, Any] = {}
        for key in ("status", "matter", "department", "source"):
            if request.query.get(key):
                q[key] = request.query[key]
        return q

    @routes.get("/api/v1/ledger")
    async def list_entries(request: web.Request) -> web.Response:
        principal(ctx, request, WRITERS)
        docs = await ctx.store.ledger.find(query_of(request), sort=[("created_at", -1)], limit=500).to_list(None)
        return ok({"entries": [ledger.wire(d) for d in docs]})

    @routes.post("/api/v1/ledger")
    async def create(request: web.Request) -> web.Response:
        p = principal(ctx, request, WRITERS)
        m = await body_of(request, EntryIn)
        data = m.model_dump()
        data["department"] = check_refs(m.matter, m.department)
        doc = ledger.new_entry(data, {"id": p.id, "name": p.name, "role": p.role})
        await ctx.store.ledger.insert_one(doc)
        return ok({"entry": ledger.wire(doc)}, status=201)

    async def entry_of(eid: str) -> dict[str, Any]:
        doc = await ctx.store.ledger.find_one({"_id": eid})
        if doc is None:
            raise ApiError(404, "not_found")
        return doc

    @routes.get("/api/v1/ledger/hotspots")
    async def hotspots(request: web.Request) -> web.Response:
        principal(ctx, request, MANAGERS)
        try:
            days = max(1, min(365, int(request.query.get("days", "30"))))
            min_count = max(1, int(request.query.get("min", "3")))
        except ValueError:
            raise ApiError(400, "invalid_payload", "days 和 min 必须是数字。") from None
        since = now() - dt.timedelta(days=days)
        convs = await ctx.store.conversations.find(
            {"created_at": {"$gte": since}}, {"matter": 1, "state": 1, "resolved": 1}).to_list(None)
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

    @routes.get("/api/v1/ledger/export")
    async def export(request: web.Request) -> web.Response:
        principal(ctx, request, WRITERS)
        fmt = request.query.get("format", "csv")
        docs = await ctx.store.ledger.find(query_of(request), sort=[("created_at", 1)]).to_list(None)
        stamp = f"{now():%Y%m%d}"
        if fmt == "xlsx":
            body = ledger.to_xlsx(docs)
            ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        elif fmt == "csv":
            body = ledger.to_csv(docs)
            ctype = "text/csv; charset=utf-8"
        else:
            raise ApiError(400, "invalid_payload", "format 只能是 csv 或 xlsx。")
        return web.Response(body=body, headers={"Content-Type": ctype,
                                                "Content-Disposition": f'attachment; filename="ledger-{stamp}.{fmt}"'})

    @routes.get("/api/v1/ledger/{eid}")
    async def get_entry(request: web.Request) -> web.Response:
        principal(ctx, request, WRITERS)
        return ok({"entry": ledger.wire(await entry_of(request.match_info["eid"]))})

    @routes.patch("/api/v1/ledger/{eid}")
    async def patch(request: web.Request) -> web.Response:
        p = principal(ctx, request, MANAGERS)
        doc = await entry_of(request.match_info["eid"])
        m = await body_of(request, EntryPatch)
        changes = {k: v for k, v in m.model_dump(exclude={"status", "note"}).items() if v is not None}
        if "matter" in changes or "department" in changes:
            changes["department"] = check_refs(changes.get("matter", doc.get("matter")),
                                               changes.get("department"))
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
            update["$push"] = {"history": {"ts": t, "by": {"id": p.id, "name": p.name}, "status": status,
                                           "from": doc["status"], "note": m.note}}
        res = await ctx.store.ledger.update_one({"_id": doc["_id"], "status": doc["status"]}, update)
        if not res.matched_count:
            raise ApiError(409, "invalid_state", "台账已被他人修改，请刷新。")
        return ok({"entry": ledger.wire(await entry_of(doc["_id"]))})

    @routes.delete("/api/v1/ledger/{eid}")
    async def delete(request: web.Request) -> web.Response:
        principal(ctx, request, ("supervisor", "admin"))
        doc = await entry_of(request.match_info["eid"])
        await ctx.store.ledger.delete_one({"_id": doc["_id"]})
        return ok({"ok": True})

    app.router.add_routes(routes)

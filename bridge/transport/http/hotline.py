"""The 12345 hotline: its signed status callback and the work orders sent to it."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bridge.domain.escalation import ticket_wire
from bridge.domain.scope import department_filter
from bridge.transport.http.common import DESK, app_context, ok, principal
from bridge.transport.http.models import OkOut, Out, Records
from core.errors import ApiError
from core.http_routes import RouteTable

table = RouteTable("hotline")
STATUS_LABELS = {"accepted": "已受理", "processing": "处理中", "resolved": "已办结", "rejected": "已退回",
                 "closed": "已关闭"}


class CallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ticket_id: str = Field(min_length=1, max_length=64)
    status: Literal["accepted", "processing", "resolved", "rejected", "closed"]
    note: str = Field(default="", max_length=2000)


class WorkOrderQuery(BaseModel):
    conversation_id: str = ""


class WorkOrdersOut(Out):
    workorders: Records


@table.get("/api/v1/workorders", summary="Work orders: the agent's own, or the supervisor's departments",
           auth=DESK, query=WorkOrderQuery, response=WorkOrdersOut)
async def workorders(request: web.Request) -> web.Response:
    p = principal(request)
    q = {"created_by.id": p.id} if p.role == "agent" else department_filter(p)
    if request.query.get("conversation_id"):
        q["conversation_id"] = request.query["conversation_id"]
    docs = await app_context(request).store.work_orders.find(q, sort=[("created_at", -1)],
                                                             limit=200).to_list(None)
    return ok({"workorders": [ticket_wire(d) for d in docs]})


@table.post("/api/v1/hotline/callback", summary="Status update of a work order from the 12345 hotline",
            body=CallbackIn, body_kind="raw", security="signature", response=OkOut,
            errors={401: "bad signature, or older than 5 minutes", 404: "unknown ticket",
                    409: "nonce seen before (a replay, or a retry of a callback already taken)"})
async def hotline_callback(request: web.Request) -> web.Response:
    """Signed over `<X-Bangban-Timestamp>.<X-Bangban-Nonce>.<raw body>` (hex HMAC-SHA256 in
    X-Bangban-Signature); older than 5 minutes or a nonce seen before: refused."""
    ctx = app_context(request)
    raw = await request.read()
    refused = await ctx.escalation.check_callback(raw, request.headers)
    if refused == "replayed_callback":
        raise ApiError(409, refused)
    if refused:
        raise ApiError(401, refused)
    try:
        m = CallbackIn.model_validate_json(raw)
    except ValidationError:
        raise ApiError(400, "invalid_payload") from None
    order = await ctx.store.work_orders.find_one({"_id": m.ticket_id})
    if order is None:
        raise ApiError(404, "not_found")
    res = await ctx.store.work_orders.update_one(
        {"_id": m.ticket_id, "status": {"$ne": m.status}},
        {"$set": {"status": m.status}, "$push": {"updates": {"status": m.status, "note": m.note}}})
    if res.modified_count:
        conv = await ctx.conversations.get(order["conversation_id"])
        if conv:
            await ctx.timeline.add(conv["_id"], "ticket_update", {"role": "hotline", "id": "12345"},
                                   {"ticket": m.ticket_id, "status": m.status})
            text = f"12345工单{m.ticket_id}{STATUS_LABELS[m.status]}。{m.note}".strip()
            await ctx.messaging.notice(conv, text, meta={"event": "ticket_update", "ticket": m.ticket_id,
                                                             "status": m.status})
    return ok({"ok": True})

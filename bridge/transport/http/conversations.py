"""Conversations for staff (search, one conversation) and transcripts (its user or staff), queues."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from bridge.domain.auth import Principal
from bridge.domain.conversations import can_access, conversation_card
from bridge.domain.scope import department_filter, sees_department
from bridge.infra.message_store import wire
from bridge.transport.http.common import DESK, STAFF, SUPERVISORS, app_context, int_query, ok, parse_date, principal
from bridge.transport.http.models import Out, Records
from core.audit import audit_read
from core.clock import iso
from core.errors import ApiError
from core.http_routes import USER, RouteTable

table = RouteTable("conversations")
DATE = "YYYY-MM-DD (Asia/Shanghai)"


class ConversationQuery(BaseModel):
    state: str = ""
    matter: str = ""
    channel: str = ""
    department: str = ""
    user: str = Field(default="", description="user id")
    from_: str = Field(default="", alias="from", description=DATE, json_schema_extra={"format": "date"})
    to: str = Field(default="", description=DATE + ", exclusive", json_schema_extra={"format": "date"})
    limit: int = Field(default=50, description="clamped to 1..200")


class TranscriptQuery(BaseModel):
    format: str = Field(default="json", description="json or text")


class ConversationsOut(Out):
    conversations: Records


class ConversationOut(Out):
    conversation: dict[str, Any]
    timeline: Records


class TranscriptOut(ConversationOut):
    messages: Records


class QueuesOut(Out):
    queues: Records


async def readable(request: web.Request, p: Principal, cid: str) -> dict:
    """The conversation `cid` if `p` may read it: 404 for supervisors when unknown, 403 otherwise."""
    ctx = app_context(request)
    conv = await ctx.conversations.get(cid)
    if conv is not None and p.role == "agent" and p.id in (conv.get("served_by") or []):
        return conv
    if conv is None and p.role in SUPERVISORS:
        raise ApiError(404, "not_found")
    if not can_access(p, conv):
        raise ApiError(403, "forbidden")
    return conv


def search_filter(request: web.Request, p: Principal) -> dict[str, Any]:
    """The MongoDB filter of a conversation search, within the caller's scope."""
    q: dict[str, Any] = {"served_by": p.id} if p.role == "agent" else department_filter(p)
    for key in ("state", "matter", "channel"):
        if request.query.get(key):
            q[key] = request.query[key]
    if request.query.get("department"):
        dep = request.query["department"]
        if p.role == "supervisor" and not sees_department(p, dep):
            raise ApiError(403, "forbidden")
        q["department"] = dep
    if request.query.get("user"):
        q["user.id"] = request.query["user"]
    start = parse_date(request.query.get("from"), "from")
    end = parse_date(request.query.get("to"), "to")
    if start or end:
        q["created_at"] = {k: v for k, v in (("$gte", start), ("$lt", end)) if v}
    return q


@table.get("/api/v1/conversations", summary="Search conversations (staff)", auth=DESK,
           query=ConversationQuery, response=ConversationsOut)
async def conversations(request: web.Request) -> web.Response:
    q = search_filter(request, principal(request))
    limit = int_query(request, "limit", 50, 1, 200)
    docs = await app_context(request).store.conversations.find(q, sort=[("created_at", -1)],
                                                               limit=limit).to_list(None)
    return ok({"conversations": [conversation_card(d) | {"closed_at": iso(d.get("closed_at")),
                                                         "resolved": d.get("resolved")} for d in docs]})


@table.get("/api/v1/conversations/{cid}", summary="One conversation with its timeline (staff)", auth=DESK,
           response=ConversationOut, errors={404: "unknown conversation"})
async def conversation(request: web.Request) -> web.Response:
    conv = await readable(request, principal(request), request.match_info["cid"])
    return ok({"conversation": conversation_card(conv),
               "timeline": await app_context(request).timeline.of(conv)})


@table.get("/api/v1/conversations/{cid}/transcript", summary="Transcript (its user or staff); JSON or text",
           auth=USER, query=TranscriptQuery, response=TranscriptOut, also=("text/plain",),
           errors={403: "not the caller's conversation", 404: "unknown conversation"})
async def transcript(request: web.Request) -> web.Response:
    ctx = app_context(request)
    p = principal(request)
    conv = await readable(request, p, request.match_info["cid"])
    docs = await ctx.messages.since(conv["_id"], 0, 100000)
    await audit_read(ctx.store.audit, p, "transcript", conv["_id"], user_id=conv["user"]["id"])
    if request.query.get("format") == "text":
        lines = [f"[{iso(d['ts'])}] #{d['seq']} {d['sender'].get('name') or d['sender']['role']}: "
                 f"{d.get('text') or '[' + d['type'] + ']'}" for d in docs]
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")
    return ok({"conversation": conversation_card(conv), "messages": [wire(d) for d in docs],
               "timeline": await ctx.timeline.of(conv) if p.is_staff else []})


@table.get("/api/v1/queues", summary="Queue figures of the caller's departments", auth=STAFF,
           response=QueuesOut)
async def queues(request: web.Request) -> web.Response:
    p = principal(request)
    deps = None if p.role == "admin" else list(p.departments)
    return ok({"queues": await app_context(request).queues.stats(deps)})

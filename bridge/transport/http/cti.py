"""The phone line: the call centre's signed CTI events, the call card and its notes, the help-hours calendar."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from bridge.domain.phone import CallEvent
from bridge.transport.http.common import DESK, STAFF, app_context, ok, principal
from bridge.transport.http.conversations import readable
from bridge.transport.http.models import Out
from core.audit import audit_read
from core.errors import ApiError
from core.http_routes import RouteTable, body
from core.workcal import help_status

table = RouteTable("phone")
ID = r"^[A-Za-z0-9_.:\-]+$"


class CtiEventIn(BaseModel):
    """One CTI event (docs/cti.md)."""

    model_config = ConfigDict(extra="forbid")
    event: Literal["ringing", "answered", "transferred", "ended"]
    call_id: str = Field(min_length=1, max_length=64, pattern=ID)
    seq: int = Field(default=0, ge=0, le=10_000, description="orders several events of one kind in a call")
    line: str = Field(min_length=1, max_length=32, description="the number dialled")
    caller: str = Field(min_length=3, max_length=24, pattern=r"^\+?[0-9 \-]+$")
    at: AwareDatetime = Field(description="when it happened at the call centre (ISO 8601 with zone)")
    ivr: str | None = Field(default=None, max_length=8, description="the IVR choice (key pressed)")
    queue: str | None = Field(default=None, max_length=64)
    staff_id: str | None = Field(default=None, max_length=64, description="answered: who; transferred: to whom")
    to_department: str | None = Field(default=None, max_length=64, description="transferred: to which queue")
    reason: str | None = Field(default=None, max_length=64, description="ended: why (caller_hangup, ...)")


class CtiResultOut(Out):
    accepted: bool
    duplicate: bool
    conversation_id: str | None = None
    out_of_hours: bool | None = None
    announcement: str | None = None
    next_open: str | None = None


class CallCardOut(Out):
    conversation_id: str
    call: dict
    caller_full: bool
    verified_citizen: bool
    history: list[dict]
    notes: list[dict]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["kb", "summary"]
    text: str = Field(min_length=1, max_length=4000)
    article_id: str | None = Field(default=None, max_length=128)
    title: str | None = Field(default=None, max_length=200)


class NoteOut(Out):
    note: dict


class HelpHoursOut(Out):
    calendar: dict[str, dict[str, dict]]
    open_now: dict[str, dict[str, bool]]


@table.post("/api/v1/cti/events", summary="A CTI event of the call centre (ringing, answered, transferred, ended)",
            body=CtiEventIn, body_kind="raw", security="signature", response=CtiResultOut,
            errors={400: "not a valid event", 401: "bad signature, or older than 5 minutes",
                    404: "unknown call", 409: "nonce seen before (a replay), or the call cannot take the event",
                    422: "unknown line, staff member or department"})
async def cti_event(request: web.Request) -> web.Response:
    """Signed like the 12345 callback: hex HMAC-SHA256 of `<X-Bangban-Timestamp>.<X-Bangban-Nonce>.<raw body>`
    with CTI_SECRET in X-Bangban-Signature; a stale timestamp or a nonce seen before changes nothing."""
    ctx = app_context(request)
    raw = await request.read()
    refused = await ctx.phone.check_signature(raw, request.headers)
    if refused:
        raise ApiError(409 if refused == "replayed_event" else 401, refused)
    try:
        m = CtiEventIn.model_validate_json(raw)
    except ValidationError as exc:
        raise ApiError(400, "invalid_payload", detail=str(exc.errors()[0].get("msg"))) from None
    return ok({"ok": True, **await ctx.phone.handle(CallEvent(**m.model_dump()))})


@table.get("/api/v1/phone/calls/{cid}", summary="The call card of a phone conversation, with the caller's history",
           auth=DESK, response=CallCardOut, errors={403: "not the caller's call", 404: "unknown, or not a call"})
async def call_card(request: web.Request) -> web.Response:
    ctx = app_context(request)
    p = principal(request)
    conv = await readable(request, p, request.match_info["cid"])
    card = await ctx.phone_calls.card(p, conv)
    if card["verified_citizen"]:
        await audit_read(ctx.store.audit, p, "caller_history", conv["_id"], user_id=conv.get("caller_citizen"))
    return ok({"ok": True, **card})


@table.post("/api/v1/phone/calls/{cid}/notes", summary="Note on a call: a KB answer read to the caller, or a summary",
            auth=DESK, body=NoteIn, status=201, response=NoteOut,
            errors={403: "not the caller's call", 404: "unknown, or not a call"})
async def add_note(request: web.Request) -> web.Response:
    ctx = app_context(request)
    p = principal(request)
    conv = await readable(request, p, request.match_info["cid"])
    m = body(request, NoteIn)
    note = await ctx.phone_calls.add_note(p, conv, m.kind, m.text, m.article_id, m.title)
    return ok({"ok": True, "note": note}, status=201)


@table.get("/api/v1/help-hours", summary="The calendar of help hours per channel and department, open now",
           auth=STAFF, response=HelpHoursOut)
async def help_hours(request: web.Request) -> web.Response:
    calendar = app_context(request).catalogue.help_calendar()
    t = dt.datetime.now(dt.UTC)
    open_now = {ch: {d: help_status(d, t, ch).open for d in deps} for ch, deps in calendar.items()}
    return ok({"ok": True, "calendar": calendar, "open_now": open_now})

"""Citizen notifications over HTTP: a citizen's subscription consent, the supervisors' view of the outbox."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bridge.domain.scope import department_filter
from bridge.transport.http.common import SUPERVISORS, app_context, ok, principal
from bridge.transport.http.models import Out, Records
from bridge.transport.schemas import NotifyConsentIn
from core.errors import ApiError
from core.http_routes import RouteTable, body

table = RouteTable("notify")


class ConsentOut(Out):
    ok: bool
    data: dict


class OutboxQuery(BaseModel):
    state: Literal["", "pending", "sending", "sent", "skipped", "dead"] = ""
    provider: Literal["", "wechat", "alipay", "push", "sms"] = ""


class OutboxOut(Out):
    counts: dict
    items: Records


class RetryOut(Out):
    ok: bool
    item: dict


@table.post("/api/v1/me/notify-consent", summary="Record the citizen's subscription consent (mini-programs)",
            auth=("user",), body=NotifyConsentIn, response=ConsentOut, denied="只有市民可以订阅消息。",
            errors={409: "the token's channel or openid does not fit the provider"})
async def notify_consent(request: web.Request) -> web.Response:
    p = principal(request)
    m = body(request, NotifyConsentIn)
    counts = await app_context(request).notify.consents.record(p, m.provider, m.accepted, m.rejected)
    return ok({"ok": True, "data": {"provider": m.provider, "consent": counts}})


class ConsentStatusOut(Out):
    provider: str | None
    templates: dict
    consent: dict


@table.get("/api/v1/me/notify-consent", summary="The templates a mini-program may ask consent for, and what is left",
           auth=("user",), response=ConsentStatusOut, denied="只有市民可以订阅消息。")
async def notify_consent_status(request: web.Request) -> web.Response:
    return ok(await app_context(request).notify.consents.status(principal(request)))


@table.get("/api/v1/notify/outbox", summary="The notification outbox: counts by provider and state, latest items",
           auth=SUPERVISORS, query=OutboxQuery, response=OutboxOut)
async def outbox(request: web.Request) -> web.Response:
    p = principal(request)
    try:
        q = OutboxQuery.model_validate(dict(request.query))
    except ValidationError:
        raise ApiError(400, "invalid_payload", "state 或 provider 的取值无效。") from None
    return ok(await app_context(request).notify.outbox.overview(department_filter(p), q.state, q.provider))


@table.post("/api/v1/notify/outbox/{item_id}/retry", summary="Send a dead-lettered notification again",
            auth=SUPERVISORS, response=RetryOut, errors={404: "no dead letter with this id in the caller's scope"})
async def retry(request: web.Request) -> web.Response:
    p = principal(request)
    item = await app_context(request).notify.outbox.retry(
        request.match_info["item_id"], department_filter(p), {"role": p.role, "id": p.id})
    if item is None:
        raise ApiError(404, "not_found")
    return ok({"ok": True, "item": {"id": item["_id"], "state": item["state"]}})

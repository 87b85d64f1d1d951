"""HTTP routes of the 12345 knowledge exchange: its state, an export and an import on demand."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bridge.transport.http.common import app_context, ok, principal
from bridge.transport.http.models import Out, Records
from bridge.transport.http.trainer import DENIED
from bridge.transport.http.trainer_kb import READERS
from core.errors import ApiError
from core.http_routes import RouteTable

table = RouteTable("kb-exchange", denied=DENIED)


class ExchangeOut(Out):
    cursor: str | None
    answers_after: int
    batches: Records
    answers: Records


class ExportOut(Out):
    batch: dict | None


class ImportOut(Out):
    drafted: int
    stale: int
    seen: int


@table.get("/api/v1/trainer/exchange", summary="12345 knowledge exchange: cursor, recent exports and answers",
           auth=READERS, response=ExchangeOut)
async def overview(request: web.Request) -> web.Response:
    return ok(await app_context(request).kb_exchange.overview())


@table.post("/api/v1/trainer/exchange/export", summary="Export the articles changed since the last export now",
            auth=READERS, response=ExportOut)
async def export(request: web.Request) -> web.Response:
    p = principal(request)
    return ok({"batch": await app_context(request).kb_exchange.export_now(f"{p.role}:{p.id}")})


@table.post("/api/v1/trainer/exchange/import", summary="Pull the 12345 hotline's answers now (as KB drafts)",
            auth=READERS, response=ImportOut, errors={502: "the hotline could not be reached"})
async def import_answers(request: web.Request) -> web.Response:
    try:
        return ok(await app_context(request).kb_exchange.pull())
    except (aiohttp.ClientError, TimeoutError, RuntimeError):
        raise ApiError(502, "upstream_unavailable", "12345热线知识库暂时无法连接，请稍后再试。") from None

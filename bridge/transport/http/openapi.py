"""The OpenAPI document of the HTTP API, generated from the route tables, served at /api/v1/openapi.json."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web

from bridge.transport.http.common import ok
from core.catalogue import Catalogue
from core.http_routes import RouteTable, openapi_document

table = RouteTable("meta")
DOCUMENT = web.AppKey("openapi_document", dict)
INFO = {"title": "Bangban bridge API", "version": "1.0.0",
        "description": "HTTP API of the Bangban help desk. Socket.IO events: docs/protocol.md."}


def build(tables: Iterable[RouteTable], catalogue: Catalogue) -> dict[str, Any]:
    """The document of every route of `tables`, with the catalogue's matters and departments."""
    enums = {"matters": sorted(catalogue.matters), "departments": sorted(catalogue.departments)}
    return openapi_document([r for t in tables for r in t.routes], INFO, enums)


@table.get("/api/v1/openapi.json", summary="This OpenAPI document")
async def openapi_json(request: web.Request) -> web.Response:
    return ok(request.app[DOCUMENT])

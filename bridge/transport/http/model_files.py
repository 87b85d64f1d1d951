"""Trained models for the Rasa servers (Rasa's model-server protocol: the model name is the ETag)."""

from __future__ import annotations

import hmac

from aiohttp import web

from bridge.transport.http.common import app_context
from core.errors import ApiError
from core.http_routes import RouteTable

table = RouteTable("models")


@table.get("/api/v1/models/{name}", summary="A published model for the Rasa servers (RASA_TOKEN as ?token=)",
           content="application/gzip", security="rasa_token",
           errors={401: "missing or wrong token", 404: "no such model", 304: ("the model of If-None-Match", None)})
async def model_file(request: web.Request) -> web.StreamResponse:
    ctx = app_context(request)
    token = ctx.settings.rasa_token
    if not token or not hmac.compare_digest(request.query.get("token", "").encode(), token.encode()):
        raise ApiError(401, "unauthorized")
    name = request.match_info["name"]
    if request.headers.get("If-None-Match") == name:
        return web.Response(status=304)
    chunks = await ctx.models.chunks(name)
    if chunks is None:
        raise ApiError(404, "not_found")
    resp = web.StreamResponse(headers={"Content-Type": "application/gzip", "ETag": name, "filename": name})
    await resp.prepare(request)
    async for chunk in chunks:
        await resp.write(chunk)
    await resp.write_eof()
    return resp

"""Personal information on request (PIPL): an administrator erases a citizen's data."""

from __future__ import annotations

from aiohttp import web

from bridge.domain.erasure import Erasure
from bridge.transport.http.common import app_context, ok, principal
from bridge.transport.http.models import Out
from core.clock import iso
from core.http_routes import RouteTable

table = RouteTable("privacy")


class ErasureOut(Out):
    user_id: str
    counts: dict[str, int]
    ts: str


@table.post("/api/v1/admin/users/{user_id}/erase", summary="Erase a citizen's personal information (audited)",
            auth=("admin",), response=ErasureOut)
async def erase_user(request: web.Request) -> web.Response:
    ctx = app_context(request)
    p = principal(request)
    user_id = request.match_info["user_id"]
    entry = await Erasure(ctx.store, ctx.settings.tracker_db).erase_user(
        user_id, {"role": p.role, "id": p.id, "name": p.name})
    return ok({"user_id": user_id, "counts": entry["counts"], "ts": iso(entry["ts"])})

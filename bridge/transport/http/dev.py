"""Development helpers: user tokens for the /h5 page (only in local development: loopback, embedded database)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.domain.auth import CHANNELS, USER_KINDS
from bridge.transport.http.common import app_context, ok
from bridge.transport.http.models import TokenOut
from core.errors import ApiError
from core.http_routes import RouteTable, body

table = RouteTable("dev")


class UserTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sub: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    name: str = Field(default="", max_length=64)
    kind: str = Field(default="person", pattern="^(" + "|".join(USER_KINDS) + ")$")
    channel: str = Field(default="app", pattern="^(" + "|".join(CHANNELS) + ")$")
    ttl_s: int | None = Field(default=None, ge=1, le=7 * 86400)
    openid: str | None = Field(default=None, min_length=6, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")  # issued as verified


@table.post("/api/v1/dev/user-token", summary="Issue a user token (development only)", body=UserTokenIn,
            response=TokenOut, errors={403: "disabled outside local development"})
async def dev_user_token(request: web.Request) -> web.Response:
    ctx = app_context(request)
    if not ctx.settings.dev_tokens_enabled:
        raise ApiError(403, "disabled_in_production")
    m = body(request, UserTokenIn)
    contact = {**({"openid": m.openid} if m.openid else {}),
               **({"phone": m.phone, "phone_verified": True} if m.phone else {})}
    return ok({"token": ctx.tokens.issue_user(m.sub, m.name or m.sub, m.kind, m.channel, m.ttl_s, contact)})

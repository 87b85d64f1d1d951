"""Staff accounts: login, the caller's profile, canned responses."""

from __future__ import annotations

from typing import Any

import yaml
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.domain.staff_accounts import (
    PLACE_MAX,
    AccountError,
    DuplicateAccount,
    create_account,
    update_account,
)
from bridge.transport.http.common import STAFF, app_context, ok, principal
from bridge.transport.http.models import Out, Records
from core.errors import ApiError
from core.http_routes import USER, RouteTable, body

table = RouteTable("staff")


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class AgentOut(Out):
    id: str
    username: str
    name: str
    role: str
    departments: list[str]
    capacity: int
    status: str
    active: int
    disabled: bool
    hall: str = ""
    window: str = ""


class LoginOut(Out):
    token: str
    agent: AgentOut


class MeOut(Out):
    id: str
    role: str
    name: str
    departments: list[str]


class AgentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disabled: bool | None = None
    role: str | None = Field(default=None, max_length=16)
    departments: list[str] | None = Field(default=None, max_length=64)
    hall: str | None = Field(default=None, max_length=PLACE_MAX)
    window: str | None = Field(default=None, max_length=PLACE_MAX)


class AgentNew(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    name: str = Field(default="", max_length=64)
    role: str = Field(default="agent", max_length=16)
    departments: list[str] = Field(default_factory=list, max_length=64)
    capacity: int | None = None
    hall: str = Field(default="", max_length=PLACE_MAX, description="service hall (offline helpers)")
    window: str = Field(default="", max_length=PLACE_MAX, description="window (window_staff)")


class AgentChangedOut(Out):
    agent: AgentOut


class CannedOut(Out):
    responses: Records


def agent_wire(agent: dict) -> dict[str, Any]:
    """The public view of a staff account."""
    return {"id": agent["_id"], "username": agent["username"], "name": agent["name"], "role": agent["role"],
            "departments": agent.get("departments", []), "capacity": agent.get("capacity", 5),
            "status": agent.get("status", "offline"), "active": agent.get("active", 0),
            "disabled": agent.get("disabled", False), "hall": agent.get("hall", ""),
            "window": agent.get("window", "")}


def client_address(request: web.Request, trusted: list[str]) -> str:
    """The caller's address: the peer, or behind a trusted proxy the nearest untrusted X-Forwarded-For hop."""
    address = request.remote or ""
    if address not in trusted:
        return address
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return address


@table.post("/api/v1/agents/login", summary="Staff login", body=LoginIn, response=LoginOut,
            errors={401: "bad credentials", 403: "account disabled",
                    429: "too many failed logins (retry_after: seconds)"})
async def login(request: web.Request) -> web.Response:
    ctx = app_context(request)
    m = body(request, LoginIn)
    agent = await ctx.logins.login(m.username, m.password, client_address(request, ctx.settings.trusted_proxies))
    return ok({"token": ctx.tokens.issue_staff(agent), "agent": agent_wire(agent)})


@table.post("/api/v1/agents", summary="Create a staff account: desk role or offline helper (admin)",
            auth=("admin",), body=AgentNew, status=201, response=AgentChangedOut,
            errors={409: "username taken",
                    422: "refused: bad username, unknown role or department, place, weak password"})
async def create_staff(request: web.Request) -> web.Response:
    """Offline helpers (window_staff, volunteer, official) take a service hall; window staff also a window."""
    ctx = app_context(request)
    m = body(request, AgentNew)
    try:
        agent = await create_account(ctx.store, ctx.catalogue, **m.model_dump(exclude={"capacity"}),
                                     capacity=m.capacity or ctx.settings.default_capacity)
    except DuplicateAccount:
        raise ApiError(409, "duplicate_username") from None
    except AccountError as exc:
        raise ApiError(422, "invalid_payload", str(exc)) from None
    return ok({"agent": agent_wire(agent)}, status=201)


@table.patch("/api/v1/agents/{username}", summary="Disable, enable, re-role or move a staff account (admin)",
             auth=("admin",), body=AgentPatch, response=AgentChangedOut,
             errors={400: "unknown role or department", 404: "no such account"})
async def change_agent(request: web.Request) -> web.Response:
    """Open sockets of the account follow within seconds, on every bridge process."""
    ctx = app_context(request)
    m = body(request, AgentPatch)
    username = request.match_info["username"]
    if await ctx.store.agents.find_one({"username": username}, {"_id": 1}) is None:
        raise ApiError(404, "unknown_agent")
    try:
        agent = await update_account(ctx.store, ctx.catalogue, username, disabled=m.disabled, role=m.role,
                                     departments=m.departments, hall=m.hall, window=m.window)
    except AccountError as exc:
        raise ApiError(400, "invalid_payload", str(exc)) from None
    return ok({"agent": agent_wire(agent)})


@table.get("/api/v1/me", summary="The caller (user or staff account)", auth=USER, response=MeOut,
           errors={403: "account disabled"})
async def me(request: web.Request) -> web.Response:
    p = principal(request)
    out = {"id": p.id, "role": p.role, "name": p.name, "departments": list(p.departments)}
    if p.is_staff:
        agent = await app_context(request).store.agents.find_one({"_id": p.id})
        if agent:
            out.update(agent_wire(agent))
    return ok(out)


@table.get("/api/v1/canned", summary="Canned responses of the agent pane", auth=STAFF, response=CannedOut)
async def canned(request: web.Request) -> web.Response:
    path = app_context(request).settings.data_dir / "desk" / "canned_responses.yml"
    return ok({"responses": yaml.safe_load(path.read_text("utf-8")).get("responses", [])})


@table.get("/api/v1/catalogue", summary="Matters and departments")
async def catalogue(request: web.Request) -> web.Response:
    cat = app_context(request).catalogue
    return ok({"matters": [m.__dict__ for m in cat.matters.values()],
               "departments": [d.__dict__ for d in cat.departments.values()]})

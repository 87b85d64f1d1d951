"""HTTP API under /api/v1, health and metrics."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pymongo.errors import PyMongoError

from bridge.domain.auth import CHANNELS, USER_KINDS, Principal, verify_password
from bridge.domain.conversations import can_access, conversation_card
from bridge.domain.escalation import ticket_wire, verify
from bridge.domain.kpis import figures
from bridge.infra.message_store import wire
from bridge.infra.metrics import render_metrics
from core.clock import iso
from core.errors import ApiError, json_error

log = logging.getLogger("bangban.api")
STAFF = ("agent", "supervisor", "admin", "trainer")
SUPERVISORS = ("supervisor", "admin")


def jdump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=jdump)


class UserTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sub: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    name: str = Field(default="", max_length=64)
    kind: str = Field(default="person", pattern="^(" + "|".join(USER_KINDS) + ")$")
    channel: str = Field(default="app", pattern="^(" + "|".join(CHANNELS) + ")$")
    ttl_s: int | None = Field(default=None, ge=1, le=7 * 86400)


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class CallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ticket_id: str = Field(min_length=1, max_length=64)
    status: str = Field(pattern="^(accepted|processing|resolved|rejected|closed)$")
    note: str = Field(default="", max_length=2000)


async def body_of(request: web.Request, model: type[BaseModel]) -> Any:
    try:
        raw = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise ApiError(400, "invalid_payload", "请求体必须是JSON。") from None
    if not isinstance(raw, dict):
        raise ApiError(400, "invalid_payload", "请求体必须是JSON对象。")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise ApiError(400, "invalid_payload", detail=f"{where}: {first.get('msg')}") from None


def staff_guard(ctx, ttl_s: float = 5.0):
    """Middleware: a staff token stops working as soon as its account is disabled (checked every few s)."""
    seen: dict[str, tuple[float, bool]] = {}

    @web.middleware
    async def guard(request: web.Request, handler) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else request.query.get("token", "")
        if token:
            try:
                p = ctx.tokens.verify(token)
            except Exception:  # noqa: BLE001 - the handler answers bad tokens itself
                p = None
            if p is not None and p.is_staff:
                hit = seen.get(p.id)
                if hit is None or time.monotonic() - hit[0] > ttl_s:
                    agent = await ctx.store.agents.find_one({"_id": p.id}, {"disabled": 1})
                    hit = (time.monotonic(), agent is None or bool(agent.get("disabled")))
                    seen[p.id] = hit
                if hit[1]:
                    return json_error(403, "account_disabled")
        return await handler(request)

    return guard


def parse_date(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        d = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "invalid_payload", f"{name} 日期格式应为 YYYY-MM-DD。") from None
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return json_error(exc.status, exc.code, exc.message, **exc.extra)
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            codes = {404: "not_found", 405: "invalid_payload", 413: "payload_too_large"}
            code = codes.get(exc.status, "invalid_payload")
            return json_error(exc.status, code)
        raise
    except PyMongoError:
        log.warning("database error on %s", request.path, exc_info=True)
        return json_error(503, "db_unavailable")
    except Exception:
        log.exception("unhandled error on %s", request.path)
        return json_error(500, "internal")


def setup(app: web.Application) -> None:
    ctx = app["ctx"]
    routes = web.RouteTableDef()

    def staff(request: web.Request, roles: tuple[str, ...] = STAFF) -> Principal:
        p = ctx.tokens.from_request(request)
        if p.role not in roles:
            raise ApiError(403, "forbidden")
        return p

    async def readable(p: Principal, conversation_id: str) -> dict:
        conv = await ctx.conversations.get(conversation_id)
        if conv is None and p.role in SUPERVISORS:
            raise ApiError(404, "not_found")
        if not can_access(p, conv):
            raise ApiError(403, "forbidden")
        return conv

    @routes.get("/healthz")
    async def healthz(request: web.Request) -> web.Response:
        db = await ctx.store.ping()
        bot = await ctx.rasa.ready()
        actions = False
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as s:
                async with s.get(f"{ctx.settings.actions_url}/health") as r:
                    actions = r.status == 200
        except (aiohttp.ClientError, TimeoutError):
            actions = False
        ready = db and bot and actions
        return ok({"ok": ready, "bridge": True, "database": db, "bot": bot, "actions": actions},
                  status=200 if ready else 503)

    @routes.post("/api/v1/dev/user-token")
    async def dev_user_token(request: web.Request) -> web.Response:
        if not ctx.settings.dev_token_endpoint:
            raise ApiError(403, "disabled_in_production")
        m = await body_of(request, UserTokenIn)
        token = ctx.tokens.issue_user(m.sub, m.name or m.sub, m.kind, m.channel, m.ttl_s)
        return ok({"token": token})

    @routes.post("/api/v1/agents/login")
    async def login(request: web.Request) -> web.Response:
        m = await body_of(request, LoginIn)
        agent = await ctx.store.agents.find_one({"username": m.username})
        if agent is None or not verify_password(agent["password_hash"], m.password):
            raise ApiError(401, "bad_credentials")
        if agent.get("disabled"):
            raise ApiError(403, "account_disabled")
        return ok({"token": ctx.tokens.issue_staff(agent), "agent": agent_wire(agent)})

    @routes.get("/api/v1/me")
    async def me(request: web.Request) -> web.Response:
        p = ctx.tokens.from_request(request)
        out = {"id": p.id, "role": p.role, "name": p.name, "departments": list(p.departments)}
        if p.is_staff:
            agent = await ctx.store.agents.find_one({"_id": p.id})
            if agent:
                out.update(agent_wire(agent))
        return ok(out)

    @routes.get("/api/v1/catalogue")
    async def catalogue(request: web.Request) -> web.Response:
        cat = ctx.catalogue
        return ok({"matters": [m.__dict__ for m in cat.matters.values()],
                   "departments": [d.__dict__ for d in cat.departments.values()]})

    @routes.get("/api/v1/canned")
    async def canned(request: web.Request) -> web.Response:
        staff(request)
        data = yaml.safe_load((ctx.settings.data_dir / "desk" / "canned_responses.yml").read_text("utf-8"))
        return ok({"responses": data.get("responses", [])})

    @routes.get("/api/v1/conversations")
    async def conversations(request: web.Request) -> web.Response:
        p = staff(request, SUPERVISORS + ("agent",))
        q: dict[str, Any] = {}
        if p.role == "agent":
            q["served_by"] = p.id
        elif p.role == "supervisor" and "*" not in p.departments:
            q["department"] = {"$in": list(p.departments)}
        for key in ("state", "matter", "channel"):
            if request.query.get(key):
                q[key] = request.query[key]
        if request.query.get("department"):
            dep = request.query["department"]
            if p.role == "supervisor" and "*" not in p.departments and dep not in p.departments:
                raise ApiError(403, "forbidden")
            q["department"] = dep
        if request.query.get("user"):
            q["user.id"] = request.query["user"]
        start = parse_date(request.query.get("from"), "from")
        end = parse_date(request.query.get("to"), "to")
        if start or end:
            q["created_at"] = {k: v for k, v in (("$gte", start), ("$lt", end)) if v}
        try:
            limit = min(200, max(1, int(request.query.get("limit", "50"))))
        except ValueError:
            raise ApiError(400, "invalid_payload", "limit 必须是数字。") from None
        docs = await ctx.store.conversations.find(q, sort=[("created_at", -1)], limit=limit).to_list(None)
        return ok({"conversations": [conversation_card(d) | {"closed_at": iso(d.get("closed_at")),
                                                             "resolved": d.get("resolved")} for d in docs]})

    @routes.get("/api/v1/conversations/{cid}")
    async def conversation(request: web.Request) -> web.Response:
        p = staff(request, SUPERVISORS + ("agent",))
        conv = await readable_staff(p, request.match_info["cid"])
        return ok({"conversation": conversation_card(conv),
                   "timeline": await ctx.timeline.of(conv["_id"])})

    async def readable_staff(p: Principal, cid: str) -> dict:
        conv = await ctx.conversations.get(cid)
        if conv is not None and p.role == "agent" and p.id in (conv.get("served_by") or []):
            return conv
        return await readable(p, cid)

    @routes.get("/api/v1/conversations/{cid}/transcript")
    async def transcript(request: web.Request) -> web.Response:
        p = ctx.tokens.from_request(request)
        cid = request.match_info["cid"]
        conv = await (readable_staff(p, cid) if p.is_staff else readable(p, cid))
        docs = await ctx.messages.since(conv["_id"], 0, 100000)
        if request.query.get("format") == "text":
            lines = [f"[{iso(d['ts'])}] #{d['seq']} {d['sender'].get('name') or d['sender']['role']}: "
                     f"{d.get('text') or '[' + d['type'] + ']'}" for d in docs]
            return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")
        return ok({"conversation": conversation_card(conv), "messages": [wire(d) for d in docs],
                   "timeline": await ctx.timeline.of(conv["_id"]) if p.is_staff else []})

    @routes.get("/api/v1/queues")
    async def queues(request: web.Request) -> web.Response:
        p = staff(request)
        deps = None if p.role == "admin" else list(p.departments)
        return ok({"queues": await ctx.queues.stats(deps)})

    @routes.get("/api/v1/workorders")
    async def workorders(request: web.Request) -> web.Response:
        p = staff(request, SUPERVISORS + ("agent",))
        q: dict[str, Any] = {}
        if p.role == "agent":
            q["created_by.id"] = p.id
        elif p.role == "supervisor" and "*" not in p.departments:
            q["department"] = {"$in": list(p.departments)}
        if request.query.get("conversation_id"):
            q["conversation_id"] = request.query["conversation_id"]
        docs = await ctx.store.work_orders.find(q, sort=[("created_at", -1)], limit=200).to_list(None)
        return ok({"workorders": [ticket_wire(d) for d in docs]})

    @routes.post("/api/v1/hotline/callback")
    async def hotline_callback(request: web.Request) -> web.Response:
        raw = await request.read()
        if not verify(ctx.settings.hotline_secret, raw, request.headers.get("X-Bangban-Signature", "")):
            raise ApiError(401, "bad_signature")
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
                label = {"accepted": "已受理", "processing": "处理中", "resolved": "已办结",
                         "rejected": "已退回", "closed": "已关闭"}[m.status]
                await ctx.timeline.add(conv["_id"], "ticket_update", {"role": "hotline", "id": "12345"},
                                       {"ticket": m.ticket_id, "status": m.status})
                await ctx.conversations.notice(conv, f"12345工单{m.ticket_id}{label}。{m.note}".strip(),
                                               meta={"event": "ticket_update", "ticket": m.ticket_id,
                                                     "status": m.status})
        return ok({"ok": True})

    @routes.get("/api/v1/ratings")
    async def ratings(request: web.Request) -> web.Response:
        p = staff(request, SUPERVISORS)
        q: dict[str, Any] = {}
        if p.role == "supervisor" and "*" not in p.departments:
            q["department"] = {"$in": list(p.departments)}
        docs = await ctx.store.ratings.find(q, {"_id": 0}, sort=[("ts", -1)], limit=500).to_list(None)
        for d in docs:
            d["ts"] = iso(d["ts"])
        return ok({"ratings": docs})

    @routes.get("/api/v1/kpis")
    async def kpis(request: web.Request) -> web.Response:
        p = staff(request, SUPERVISORS)
        dep = request.query.get("department") or None
        if p.role == "supervisor" and "*" not in p.departments:
            if dep is None and len(p.departments) == 1:
                dep = p.departments[0]
            if dep not in p.departments:
                raise ApiError(403, "forbidden")
        start = parse_date(request.query.get("from"), "from")
        end = parse_date(request.query.get("to"), "to")
        out = await figures(ctx.store, start, end, dep, request.query.get("channel") or None)
        out["queues"] = await ctx.queues.stats([dep] if dep else None)
        return ok(out)

    @routes.get("/api/v1/alerts")
    async def alerts(request: web.Request) -> web.Response:
        staff(request, SUPERVISORS)
        docs = await ctx.store.alerts.find({}, {"_id": 0}, sort=[("ts", -1)], limit=100).to_list(None)
        banned = await ctx.store.audit.find({"kind": "forbidden_words"}, {"_id": 0}, sort=[("ts", -1)],
                                            limit=100).to_list(None)
        return ok({"alerts": docs, "forbidden_words": banned})

    @routes.get("/metrics")
    async def metrics(request: web.Request) -> web.Response:
        return render_metrics()

    app.router.add_routes(routes)


def agent_wire(agent: dict) -> dict[str, Any]:
    return {"id": agent["_id"], "username": agent["username"], "name": agent["name"], "role": agent["role"],
            "departments": agent.get("departments", []), "capacity": agent.get("capacity", 5),
            "status": agent.get("status", "offline"), "active": agent.get("active", 0),
            "disabled": agent.get("disabled", False)}

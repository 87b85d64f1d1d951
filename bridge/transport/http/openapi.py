"""The OpenAPI document of the HTTP API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from aiohttp import web

ERROR = {"$ref": "#/components/schemas/Error"}


def _err(desc: str) -> dict:
    return {"description": desc, "content": {"application/json": {"schema": ERROR}}}


def _json(schema: dict, desc: str = "OK") -> dict:
    return {"description": desc, "content": {"application/json": {"schema": schema}}}


OBJ = {"type": "object"}
BEARER = [{"bearer": []}]
Q = lambda name, desc="": {"name": name, "in": "query", "required": False, "schema": {"type": "string"},  # noqa: E731
                           "description": desc}
DATE = {"type": "string", "format": "date"}


def QS(name: str, schema: dict, desc: str = "") -> dict:  # noqa: N802 - reads like Q
    """A query parameter with its own schema."""
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": desc}


CID = {"name": "cid", "in": "path", "required": True, "schema": {"type": "string"}}


def document() -> dict[str, Any]:
    staff_errors = {"401": _err("no or bad token"), "403": _err("role or conversation not allowed")}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Bangban bridge API", "version": "1.0.0",
                 "description": "HTTP API of the Bangban help desk. Socket.IO events: docs/protocol.md."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
            },
        },
        "paths": {
            "/healthz": {"get": {"summary": "Readiness of bridge, database, bot and actions",
                                 "responses": {"200": _json(OBJ), "503": _json(OBJ, "not ready")}}},
            "/api/v1/dev/user-token": {"post": {
                "summary": "Issue a user token (development only)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["sub"], "additionalProperties": False, "properties": {
                        "sub": {"type": "string", "pattern": "^[A-Za-z0-9_.:\\-]+$", "minLength": 1, "maxLength": 64},
                        "name": {"type": "string", "maxLength": 64},
                        "kind": {"type": "string", "enum": ["person", "enterprise"]},
                        "channel": {"type": "string", "enum": ["pc", "app", "wechat", "alipay", "kiosk"]},
                        "ttl_s": {"type": "integer", "minimum": 1, "maximum": 604800}}}}}},
                "responses": {"200": _json(OBJ), "400": _err("bad input"), "403": _err("production")}}},
            "/api/v1/agents/login": {"post": {
                "summary": "Staff login",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["username", "password"], "additionalProperties": False,
                    "properties": {"username": {"type": "string", "minLength": 1, "maxLength": 64},
                                   "password": {"type": "string", "minLength": 1, "maxLength": 256}}}}}},
                "responses": {"200": _json(OBJ), "400": _err("bad input"), "401": _err("bad credentials"),
                              "403": _err("disabled")}}},
            "/api/v1/me": {"get": {"security": BEARER, "responses": {"200": _json(OBJ), "401": _err("no token")}}},
            "/api/v1/catalogue": {"get": {"summary": "Matters and departments", "responses": {"200": _json(OBJ)}}},
            "/api/v1/canned": {"get": {"security": BEARER, "responses": {"200": _json(OBJ), **staff_errors}}},
            "/api/v1/conversations": {"get": {
                "security": BEARER, "summary": "Search conversations (staff)",
                "parameters": [Q("state"), Q("matter"), Q("channel"), Q("department"), Q("user"),
                               QS("from", DATE, "YYYY-MM-DD (Asia/Shanghai)"), QS("to", DATE, "YYYY-MM-DD, exclusive"),
                               QS("limit", {"type": "integer"}, "at most 200 (clamped to 1..200), default 50")],
                "responses": {"200": _json(OBJ), "400": _err("bad filter"), **staff_errors}}},
            "/api/v1/conversations/{cid}": {"get": {
                "security": BEARER, "parameters": [CID],
                "responses": {"200": _json(OBJ), "404": _err("unknown"), **staff_errors}}},
            "/api/v1/conversations/{cid}/transcript": {"get": {
                "security": BEARER, "parameters": [CID, Q("format", "json or text")],
                "responses": {"200": _json(OBJ), "404": _err("unknown"), **staff_errors}}},
            "/api/v1/queues": {"get": {"security": BEARER, "responses": {"200": _json(OBJ), **staff_errors}}},
            "/api/v1/workorders": {"get": {"security": BEARER, "parameters": [Q("conversation_id")],
                                           "responses": {"200": _json(OBJ), **staff_errors}}},
            "/api/v1/hotline/callback": {"post": {
                "summary": "Status update from the 12345 hotline (HMAC-SHA256 of the body in X-Bangban-Signature)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["ticket_id", "status"], "properties": {
                        "ticket_id": {"type": "string"}, "note": {"type": "string"},
                        "status": {"type": "string",
                                   "enum": ["accepted", "processing", "resolved", "rejected", "closed"]}}}}}},
                "responses": {"200": _json(OBJ), "400": _err("bad input"), "401": _err("bad signature"),
                              "404": _err("unknown ticket")}}},
            "/api/v1/ratings": {"get": {"security": BEARER, "responses": {"200": _json(OBJ), **staff_errors}}},
            "/api/v1/kpis": {"get": {
                "security": BEARER, "summary": "KPI figures (docs/kpis.md)",
                "parameters": [QS("from", DATE, "YYYY-MM-DD"), QS("to", DATE, "YYYY-MM-DD"), Q("department"),
                               Q("channel")],
                "responses": {"200": _json(OBJ), "400": _err("bad filter"), **staff_errors}}},
            "/api/v1/alerts": {"get": {"security": BEARER, "responses": {"200": _json(OBJ), **staff_errors}}},
            "/metrics": {"get": {"summary": "Prometheus metrics",
                                 "responses": {"200": {"description": "text exposition format"}}}},
        },
    }


_extra_paths: dict[str, Any] = {}


def add_paths(paths: dict[str, Any]) -> None:
    """Let other route modules (media, trainer) add their paths to the document."""
    _extra_paths.update(paths)


def setup(app: web.Application) -> None:
    async def handler(request: web.Request) -> web.Response:
        doc = document()
        doc["paths"].update(_extra_paths)
        return web.json_response(doc)

    app.router.add_get("/api/v1/openapi.json", handler)

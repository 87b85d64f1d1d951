"""Declared HTTP routes: each route is declared once, installed on aiohttp and documented in OpenAPI.

A `RouteTable` collects declarations (`@table.get(path, summary=..., auth=..., query=..., response=...)`)
next to module-level handlers. `install` adds them to an application; when a guard is given, routes that
are not public are authorized by it first and JSON bodies are validated against their declared model
(the handler reads it with `body(request, Model)`). `openapi_document` builds the OpenAPI 3.1 document
from the same declarations and the pydantic models.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from core.errors import ApiError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = "public"  # no token
USER = "user"  # any valid token: users and staff
Auth = str | tuple[str, ...]  # PUBLIC, USER, or the staff roles allowed
Guard = Callable[[web.Request, "Route"], Awaitable[None]]
BodyKind = Literal["json", "raw", "multipart"]
M = TypeVar("M", bound=BaseModel)
BODY_KEY = web.RequestKey("declared_body", BaseModel)
# an answer other than success: a description (JSON Error body), or (description, body model or None for none)
ErrorSpec = str | tuple[str, type[BaseModel] | None]


@dataclass(frozen=True)
class Route:
    """One declared route: what installs it and what documents it."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    auth: Auth = PUBLIC
    body: type[BaseModel] | None = None
    body_kind: BodyKind = "json"  # raw/multipart: documented here, read by the handler itself
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    content: str = "application/json"  # of the success response
    also: tuple[str, ...] = ()  # other content types of the success response (text, CSV, XLSX)
    errors: Mapping[int, ErrorSpec] = field(default_factory=dict)
    denied: str | None = None  # message of the 403 when the role is not allowed
    security: str = "bearer"


class RouteTable:
    """The routes of one resource, declared with decorators on module-level handlers."""

    def __init__(self, tag: str, *, denied: str | None = None) -> None:
        self.tag = tag
        self.denied = denied
        self.routes: list[Route] = []

    def route(self, method: str, path: str, *, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        """Declare `handler` for `method path`; `spec` takes the other fields of `Route`."""
        def declare(handler: Handler) -> Handler:
            spec.setdefault("tag", self.tag)
            spec.setdefault("denied", self.denied)
            self.routes.append(Route(method.upper(), path, handler, summary, **spec))
            return handler
        return declare

    def get(self, path: str, *, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, summary=summary, **spec)

    def post(self, path: str, *, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, summary=summary, **spec)

    def put(self, path: str, *, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, summary=summary, **spec)

    def patch(self, path: str, *, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, summary=summary, **spec)

    def delete(self, path: str, *, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, summary=summary, **spec)

    def install(self, app: web.Application, guard: Guard | None = None) -> None:
        """Add the routes to `app` (GET also answers HEAD); with `guard`, authorize and validate first."""
        for r in self.routes:
            handler = r.handler if guard is None else _guarded(r, guard)
            if r.method == "GET":
                app.router.add_get(r.path, handler)
            else:
                app.router.add_route(r.method, r.path, handler)


def _guarded(route: Route, guard: Guard) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        if route.auth != PUBLIC:
            await guard(request, route)
        if route.body is not None and route.body_kind == "json":
            request[BODY_KEY] = await parse_json(request, route.body)
        return await route.handler(request)
    handler.__name__ = route.handler.__name__
    handler.__doc__ = route.handler.__doc__
    return handler


async def parse_json(request: web.Request, model: type[M]) -> M:
    """The request's JSON object validated by `model`, or ApiError 400 `invalid_payload`."""
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


def body(request: web.Request, model: type[M]) -> M:
    """The body validated by the route's declared `model` (set by the guarded handler)."""
    value = request.get(BODY_KEY)
    if not isinstance(value, model):
        raise TypeError(f"{request.path}: no declared {model.__name__} body")
    return value


# --- OpenAPI -------------------------------------------------------------------------------------------

ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "signature": {"type": "apiKey", "in": "header", "name": "X-Bangban-Signature",
                  "description": "hex HMAC-SHA256 of the raw body with the shared hotline secret"},
    "rasa_token": {"type": "apiKey", "in": "query", "name": "token",
                   "description": "the RASA_TOKEN shared by the bridges and the Rasa servers"},
}
PATH_PARAM = re.compile(r"{(\w+)}")
ENUM_KEY = "x-enum-of"


class _Schemas:
    """components/schemas, filled from the models as the document is built."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {"Error": ERROR_SCHEMA}
        self.owners: dict[str, type[BaseModel]] = {}

    def ref(self, model: type[BaseModel], mode: Literal["validation", "serialization"]) -> dict[str, str]:
        name = model.__name__
        if self.owners.setdefault(name, model) is not model:
            raise ValueError(f"two models named {name}: {model.__module__}, {self.owners[name].__module__}")
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        self.defs.update(schema.pop("$defs", {}))
        self.defs[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _parameters(route: Route) -> list[dict[str, Any]]:
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
              for n in PATH_PARAM.findall(route.path)]
    if route.query is not None:
        schema = route.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            desc = prop.pop("description", "")
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop,
                           **({"description": desc} if desc else {})})
    return params


def _request_body(route: Route, schemas: _Schemas) -> dict[str, Any]:
    assert route.body is not None
    kind = "multipart/form-data" if route.body_kind == "multipart" else "application/json"
    return {"required": True, "content": {kind: {"schema": schemas.ref(route.body, "validation")}}}


def _responses(route: Route, schemas: _Schemas) -> dict[str, Any]:
    if route.response is not None:
        ok = _json(schemas.ref(route.response, "serialization"), "OK")
    elif route.content == "application/json":
        ok = _json({"type": "object"}, "OK")
    else:
        ok = {"description": "OK", "content": {route.content: {"schema": {"type": "string"}}}}
    for kind in route.also:
        ok["content"][kind] = {"schema": {"type": "string"}}
    out: dict[str, Any] = {str(route.status): ok}
    err = {"$ref": "#/components/schemas/Error"}
    if route.body is not None or route.query is not None:
        out["400"] = _json(err, "invalid input")
    if route.auth != PUBLIC:
        out["401"] = _json(err, "no, bad or expired token")
    if isinstance(route.auth, tuple):
        out["403"] = _json(err, "role not allowed or account disabled")
    for status, spec in route.errors.items():
        if isinstance(spec, str):
            out[str(status)] = _json(err, spec)
        elif spec[1] is None:
            out[str(status)] = {"description": spec[0]}
        else:
            out[str(status)] = _json(schemas.ref(spec[1], "serialization"), spec[0])
    return out


def operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    """The OpenAPI operation object of one route."""
    op: dict[str, Any] = {"summary": route.summary, "tags": [route.tag],
                          "operationId": f"{route.tag}.{route.handler.__name__}"}
    if route.handler.__doc__:
        op["description"] = route.handler.__doc__.strip()
    params = _parameters(route)
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = _request_body(route, schemas)
    if route.auth != PUBLIC:
        op["security"] = [{route.security: []}]
        if isinstance(route.auth, tuple):
            op["x-roles"] = list(route.auth)
    elif route.security != "bearer":
        op["security"] = [{route.security: []}]
    op["responses"] = _responses(route, schemas)
    return op


def enum_of(name: str) -> dict[str, Any]:
    """json_schema_extra of a string whose values are known only at run time (e.g. catalogue matters)."""
    return {ENUM_KEY: name}


def _fill_enums(node: Any, enums: Mapping[str, list[str]]) -> None:
    if isinstance(node, dict):
        name = node.pop(ENUM_KEY, None)
        if name is not None:  # an optional query value defaulting to "" may also be given empty
            node["enum"] = [*([""] if node.get("default") == "" else []), *enums[name]]
        for value in node.values():
            _fill_enums(value, enums)
    elif isinstance(node, list):
        for value in node:
            _fill_enums(value, enums)


def openapi_document(routes: Iterable[Route], info: Mapping[str, Any],
                     enums: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `routes`, request and response schemas in components/schemas.

    `enums` gives the values of the strings declared with `enum_of(name)`.
    """
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(r.path, {})[r.method.lower()] = operation(r, schemas)
    doc = {"openapi": "3.1.0", "info": dict(info), "servers": [{"url": "/"}], "paths": paths,
           "components": {"securitySchemes": SECURITY_SCHEMES, "schemas": schemas.defs}}
    _fill_enums(doc, enums or {})
    return doc

"""Middlewares and the route guard of the bridge's HTTP API: errors as JSON, callers authorized."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pymongo.errors import PyMongoError

from bridge.context import AppContext
from bridge.transport.http.common import PRINCIPAL_KEY, app_context
from core.errors import ApiError, json_error
from core.http_routes import Route
from core.tokens import bearer_token

log = logging.getLogger("bangban.api")


async def authorize(request: web.Request, route: Route) -> None:
    """Guard of the route table: a valid token (401) of an allowed role (403); the caller for the handler.

    A staff caller's role and departments are the database's (cached a few seconds), not the token's.
    """
    ctx = app_context(request)
    p = await ctx.staff.caller(ctx.tokens.from_request(request))
    if isinstance(route.auth, tuple) and p.role not in route.auth:
        raise ApiError(403, "forbidden", route.denied)
    request[PRINCIPAL_KEY] = p


def staff_guard(ctx: AppContext):
    """Middleware: a staff token stops working on every route (media too) once its account is disabled."""

    @web.middleware
    async def guard(request: web.Request, handler) -> web.StreamResponse:
        token = bearer_token(request)
        if token:
            try:
                p = ctx.tokens.verify(token)
            except Exception:  # noqa: BLE001 - the handler answers bad tokens itself
                p = None
            if p is not None and p.is_staff and await ctx.staff.current(p) == "account_disabled":
                return json_error(403, "account_disabled")
        return await handler(request)

    return guard


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    """ApiError and HTTP errors under /api/ as the contract's JSON errors; database faults as 503."""
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
    except HttpProcessingError:  # a malformed body read by the handler (e.g. bad multipart headers)
        return json_error(400, "invalid_payload")
    except PyMongoError:
        log.warning("database error on %s", request.path, exc_info=True)
        return json_error(503, "db_unavailable")
    except Exception:
        log.exception("unhandled error on %s", request.path)
        return json_error(500, "internal")

"""Middleware: every HTTP request of one caller goes through a token bucket (429 `rate_limited`).

The caller is the subject of a valid Bearer token, else the client address (behind `TRUSTED_PROXIES`, the
nearest untrusted `X-Forwarded-For` hop). `HTTP_RATE_LIMIT_PER_MIN` requests a minute, as many saved up;
`/healthz` and `/metrics` are exempt (probes and scrapers). Buckets are per process.
"""

from __future__ import annotations

import math

from aiohttp import web

from bridge.context import AppContext
from bridge.transport.http.staff import client_address
from core.errors import json_error
from core.ratelimit import RateLimiter
from core.tokens import bearer_token

EXEMPT = ("/healthz", "/metrics")
MAX_BUCKETS = 100_000  # beyond this many callers the refilled buckets are dropped (memory bound)
MESSAGE = "请求太频繁了，请稍后再试。"


def caller_key(ctx: AppContext, request: web.Request) -> str:
    """`p:<subject>` for a valid token, else `a:<client address>`."""
    token = bearer_token(request)
    if token:
        try:
            return f"p:{ctx.tokens.verify(token).id}"
        except Exception:  # noqa: BLE001 - an invalid token counts against its address
            pass
    return f"a:{client_address(request, ctx.settings.trusted_proxies)}"


def http_rate_limit(ctx: AppContext):
    """The limiting middleware of one bridge process."""
    per_min = ctx.settings.http_rate_limit_per_min
    limiter = RateLimiter(per_min / 6.0, burst=per_min)

    @web.middleware
    async def limit(request: web.Request, handler) -> web.StreamResponse:
        if request.path in EXEMPT:
            return await handler(request)
        key = caller_key(ctx, request)
        if len(limiter) > MAX_BUCKETS:
            limiter.prune_idle()
        if not limiter.allow(key):
            wait = max(1, math.ceil(limiter.retry_after(key)))
            response = json_error(429, "rate_limited", MESSAGE, retry_after=wait)
            response.headers["Retry-After"] = str(wait)
            return response
        return await handler(request)

    return limit

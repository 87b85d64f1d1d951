"""What browsers may do with the bridge: allowed origins (HTTP and Socket.IO) and security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from core.settings import Settings

# panes load only their own scripts (no inline ones); styles may be set inline by the panes' DOM code
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def origin_check(settings: Settings) -> Callable[[str | None, str], bool]:
    """`allowed(origin, own_origin)`: no Origin (not a browser), the bridge's own origin (as the request
    names it, or `BANGBAN_PUBLIC_URL`'s behind a proxy), or one of `CORS_ORIGINS`."""
    configured = frozenset([*settings.cors_origins, _origin(settings.public_url)])

    def allowed(origin: str | None, own: str) -> bool:
        return origin is None or origin == own or origin in configured

    return allowed


def sio_origins(settings: Settings) -> Callable[[str | None, dict[str, Any]], bool]:
    """python-engineio's `cors_allowed_origins` callable (the own origin read from the WSGI-style environ)."""
    allowed = origin_check(settings)

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        # X-Forwarded-* are not trusted: behind a proxy the panes' origin is BANGBAN_PUBLIC_URL's
        return allowed(origin, f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}")

    return check


def middleware(settings: Settings):
    """Security headers on every answer; CORS only for allowed origins (others get no CORS headers, 403 on
    a preflight)."""
    allowed = origin_check(settings)

    @web.middleware
    async def policy(request: web.Request, handler) -> web.StreamResponse:
        if request.path.startswith("/socket.io/"):  # python-engineio answers CORS with `sio_origins`
            return _secured(await handler(request))
        origin = request.headers.get("Origin")
        ok = allowed(origin, f"{request.scheme}://{request.host}")
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = _secured(web.Response(status=204 if ok else 403))
            if ok and origin:
                response.headers.update({"Access-Control-Allow-Methods": CORS_METHODS,
                                         "Access-Control-Allow-Headers": CORS_HEADERS,
                                         "Access-Control-Max-Age": "600"})
        else:
            try:
                response = _secured(await handler(request))
            except web.HTTPException as exc:
                _secured(exc)
                raise
        if origin and ok and not response.prepared:
            response.headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
        return response

    return policy


def _secured(response):
    """The response with the security headers (unless already sent, like a websocket's; a handler's own
    stricter ones, such as media's sandbox CSP, are kept)."""
    if not getattr(response, "prepared", False):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
    return response

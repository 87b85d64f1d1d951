"""The one parser of the bearer token an HTTP request carries."""

from __future__ import annotations

from aiohttp import web


def bearer_token(request: web.Request) -> str | None:
    """The token of `Authorization: Bearer <token>`, else None.

    Never from the query string (`?token=` ends up in proxy logs and Referer headers): media is
    fetched by `<img>`/`<audio>` through short-lived signed links (`media/urls.py`) instead.
    """
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None

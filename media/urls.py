"""Where clients fetch stored media (the routes of `media.routes`), and short-lived signed links.

`media_url` is the stable address (fetched with `Authorization: Bearer`); `signed_url` adds
`exp` (Unix seconds) and `sig` (hex HMAC-SHA256 with the token secret over the media id, the
thumbnail flag and `exp`) so that `<img>`/`<audio>` can fetch it without a token in the URL.
"""

from __future__ import annotations

import hmac
import time
from urllib.parse import urlencode

from core.signatures import mac


def media_url(media_id: str, *, thumb: bool = False) -> str:
    """The download address of a media item, or of its thumbnail."""
    return f"/api/v1/media/{media_id}" + ("?thumb=1" if thumb else "")


def _signature(secret: str, media_id: str, thumb: bool, exp: int) -> str:
    return mac(secret, f"media-url.{media_id}.{int(thumb)}.{exp}".encode())


def signed_url(secret: str, media_id: str, ttl_s: int, *, thumb: bool = False,
               now: float | None = None) -> tuple[str, int]:
    """(a link to the item valid `ttl_s` seconds, its expiry in Unix seconds)."""
    exp = int(time.time() if now is None else now) + ttl_s
    query = {**({"thumb": "1"} if thumb else {}), "exp": exp, "sig": _signature(secret, media_id, thumb, exp)}
    return f"/api/v1/media/{media_id}?{urlencode(query)}", exp


def check_signed(secret: str, media_id: str, thumb: bool, exp: str, sig: str, now: float | None = None) -> str | None:
    """None for a valid unexpired link, else the refusal code (`bad_signature`, `link_expired`)."""
    if not secret or not exp.isdigit() or len(exp) > 12:
        return "bad_signature"
    if not hmac.compare_digest(_signature(secret, media_id, thumb, int(exp)), sig):
        return "bad_signature"
    if int(exp) < (time.time() if now is None else now):
        return "link_expired"
    return None

"""HMAC signatures: signed requests between Bangban and the 12345 hotline, and signed links.

A signed request carries `X-Bangban-Timestamp` (Unix seconds), `X-Bangban-Nonce` (random, used once)
and `X-Bangban-Signature`: hex HMAC-SHA256 of `<timestamp>.<nonce>.<raw body>` with the shared secret.
The receiver refuses a request older than `MAX_AGE_S` or with a nonce it has seen.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

MAX_AGE_S = 300
TS, NONCE, SIGNATURE = "X-Bangban-Timestamp", "X-Bangban-Nonce", "X-Bangban-Signature"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def mac(secret: str, data: bytes) -> str:
    """Hex HMAC-SHA256 of `data`."""
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, ts: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """The three headers of a signed request with `body`."""
    ts = int(time.time()) if ts is None else ts
    nonce = nonce or secrets.token_urlsafe(18)
    return {TS: str(ts), NONCE: nonce, SIGNATURE: mac(secret, f"{ts}.{nonce}.".encode() + body)}


def check_request(secret: str, body: bytes, headers, now: float | None = None) -> str | None:
    """None when `headers` sign `body` within `MAX_AGE_S`, else why not (`bad_signature`, `stale_callback`).

    The caller still has to refuse a nonce it has seen (`headers[NONCE]`).
    """
    ts, nonce, sig = headers.get(TS, ""), headers.get(NONCE, ""), headers.get(SIGNATURE, "")
    if not secret or not ts.isdigit() or len(ts) > 12 or not _NONCE.match(nonce):
        return "bad_signature"
    if not hmac.compare_digest(mac(secret, f"{ts}.{nonce}.".encode() + body), sig):
        return "bad_signature"
    if abs((time.time() if now is None else now) - int(ts)) > MAX_AGE_S:
        return "stale_callback"
    return None

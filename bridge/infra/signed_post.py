"""One signed, idempotent JSON POST to a partner system (core/signatures.py headers, `Idempotency-Key`)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from core import signatures


async def signed_post(session: aiohttp.ClientSession, url: str, secret: str, key: str,
                      payload: dict[str, Any]) -> str | None:
    """POST `payload` signed with `secret` under `Idempotency-Key: key`; None when taken (2xx, 409), else why not."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": key,
               **signatures.signed_headers(secret, body)}
    try:
        async with session.post(url, data=body, headers=headers) as r:
            return None if r.status in (200, 201, 202, 409) else f"HTTP {r.status}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        return str(exc) or type(exc).__name__

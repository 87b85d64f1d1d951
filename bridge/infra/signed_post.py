"""Signed, idempotent JSON requests to a partner system (core/signatures.py headers, `Idempotency-Key`)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bridge.infra.notify_providers.base import HttpClient
from core import signatures


class PartnerClient(HttpClient):
    """One lazily opened HTTP session to a partner (12345, 好差评) and its signed POST."""

    def __init__(self, secret: str, timeout_s: float = 5.0) -> None:
        super().__init__(timeout_s)
        self.secret = secret

    async def post(self, url: str, key: str, payload: dict[str, Any]) -> str | None:
        """POST `payload` signed under `Idempotency-Key: key`; None when taken (2xx, 409), else why not."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key,
                   **signatures.signed_headers(self.secret, body)}
        try:
            async with self.session().post(url, data=body, headers=headers) as r:
                return None if r.status in (200, 201, 202, 409) else f"HTTP {r.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return str(exc) or type(exc).__name__

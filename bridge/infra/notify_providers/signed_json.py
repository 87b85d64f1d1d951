"""A JSON POST signed like Bangban's other outbound calls (core/signatures.py) with an idempotency key.

Headers: `X-Bangban-Timestamp`, `X-Bangban-Nonce`, `X-Bangban-Signature` (hex HMAC-SHA256 of
`<timestamp>.<nonce>.<raw body>`), `Idempotency-Key` (the outbox item: a repeat is answered, not sent again)
and `X-App-Key`. The answer `{"code": 0}` is sent; a `code` in `refused` is the citizen's (skipped).
"""

from __future__ import annotations

import json

from bridge.infra.notify_providers.base import NETWORK_ERRORS, HttpClient, Notice, Outcome, network_outcome
from core import signatures


class SignedJson:
    def __init__(self, url: str, app_key: str, secret: str, refused: tuple[int, ...]) -> None:
        self.url = url
        self.app_key = app_key
        self.secret = secret
        self.refused = refused
        self.http = HttpClient()

    @property
    def configured(self) -> bool:
        return bool(self.url and self.secret)

    async def post(self, notice: Notice, payload: dict) -> Outcome:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": notice.key, "X-App-Key": self.app_key,
                   **signatures.signed_headers(self.secret, body)}
        try:
            async with self.http.session().post(self.url, data=body, headers=headers) as r:
                text = await r.text()
                if r.status not in (200, 201):
                    return Outcome.of_http(r.status, text)
        except NETWORK_ERRORS as exc:
            return network_outcome(exc)
        try:
            answer = json.loads(text)
            code = int(answer.get("code", -1))
        except (ValueError, TypeError, AttributeError):
            return Outcome("retry", "bad_response", text[:200])
        if code == 0:
            return Outcome("sent")
        state = "refused" if code in self.refused else "failed"
        return Outcome(state, str(code), str(answer.get("message", ""))[:200])

    async def close(self) -> None:
        await self.http.close()

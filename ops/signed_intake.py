"""The signature check of the partner stand-ins (12345, 好差评): outage switch, HMAC, age, nonce replay."""

from __future__ import annotations

import time

from aiohttp import web

from core import signatures


class SignedIntake:
    """Refuses requests while `down`, badly signed, older than 5 minutes or with a nonce seen before."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.down = False
        self.nonces: dict[str, float] = {}

    async def refuse(self, request: web.Request, body: bytes) -> web.Response | None:
        """The refusal of the request with `body`; None to accept it (its nonce then spent)."""
        if self.down:
            return web.json_response({"error": "down"}, status=503)
        refused = signatures.check_request(self.secret, body, request.headers)
        if refused:
            return web.json_response({"error": refused}, status=401)
        t = time.time()
        for old in [n for n, seen in self.nonces.items() if t - seen > 2 * signatures.MAX_AGE_S]:
            del self.nonces[old]
        if request.headers[signatures.NONCE] in self.nonces:
            return web.json_response({"error": "replayed"}, status=409)
        self.nonces[request.headers[signatures.NONCE]] = t
        return None

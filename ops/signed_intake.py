"""The signature check of the partner stand-ins (12345, 好差评): outage switch, HMAC, age, nonce replay."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from core import signatures


class SignedIntake:
    """Refuses requests while `down`, badly signed, older than 5 minutes or with a nonce seen before."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.down = False
        self.nonces: dict[str, float] = {}
        self.posts: dict[str, int] = {}  # how many times each idempotency key was posted

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

    async def take(self, request: web.Request, id_field: str, received: dict) -> tuple[dict, str] | web.Response:
        """A new JSON document and its `Idempotency-Key` (which must equal `doc[id_field]`), else the answer:
        the refusal, or 200 for a key already in `received`."""
        body = await request.read()
        refused = await self.refuse(request, body)
        if refused is not None:
            return refused
        doc = json.loads(body)
        key = request.headers.get("Idempotency-Key", "")
        if not key or key != doc.get(id_field):
            return web.json_response({"error": "missing idempotency key"}, status=400)
        self.posts[key] = self.posts.get(key, 0) + 1
        if key in received:
            return web.json_response({"ok": True, "duplicate": True})
        return doc, key


def serve(make_app: Callable[[Path, str], web.Application], store: str, secret: str, host: str, port: int,
          missing: str) -> None:
    """Run a stand-in's app on `host:port`, keeping what it receives in `store`; exits when `secret` is empty."""
    if not secret:
        raise SystemExit(f"{missing}: must be set")
    path = Path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    web.run_app(make_app(path, secret), host=host, port=port, print=None, access_log=None)


def append_line(store: Path, record: dict) -> None:
    """Keep `record` as one JSON line of `store` (what a stand-in received survives its restart)."""
    with store.open("a") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")

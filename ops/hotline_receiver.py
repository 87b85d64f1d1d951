"""A small stand-in for the 12345 hotline's work-order intake (development and tests).

`python -m ops.hotline_receiver --port 8090 --store var/hotline.jsonl`
- POST /workorders: checks the signature (timestamp, nonce, HMAC: core/signatures.py; old or
  repeated nonces refused), stores each work order once (deduplicated by the Idempotency-Key) and
  answers 201 (200 for a repeat);
- GET /workorders: what was received, with how many times each was posted;
- POST /admin/callback `{ticket_id, status, note}`: sends the signed status callback to the order's
  `callback_url` and answers with the bridge's status and the headers it sent;
- POST /admin/down and /admin/up: simulate an outage (answers 503 while down);
- the knowledge exchange (exports in, answers out): ops/hotline_knowledge.py.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import aiohttp
from aiohttp import web

from core import signatures
from core.settings import load_settings
from ops import hotline_knowledge
from ops.signed_intake import SignedIntake, append_line, serve

MAX_BODY = 32 * 2**20  # the first knowledge export carries the whole KB (100 matters: about 1,500 articles)


def make_app(store: Path, secret: str) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    received: dict[str, dict] = {}
    guard = SignedIntake(secret)
    if store.exists():
        for line in store.read_text().splitlines():
            if line.strip():
                order = json.loads(line)
                received[order["id"]] = order

    async def intake(request: web.Request) -> web.Response:
        taken = await guard.take(request, "id", received)
        if isinstance(taken, web.Response):
            return taken
        order, key = taken
        received[key] = order
        append_line(store, order)
        return web.json_response({"ok": True}, status=201)

    async def listing(request: web.Request) -> web.Response:
        return web.json_response({"workorders": list(received.values()), "posts": guard.posts})

    async def callback(request: web.Request) -> web.Response:
        update = await request.json()
        order = received.get(update.get("ticket_id", ""))
        if order is None:
            return web.json_response({"error": "unknown ticket"}, status=404)
        body = json.dumps(update, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **signatures.signed_headers(secret, body)}
        async with aiohttp.ClientSession() as s, s.post(order["callback_url"], data=body, headers=headers) as r:
            return web.json_response({"status": r.status, "headers": headers})

    async def down(request: web.Request) -> web.Response:
        guard.down = True
        return web.json_response({"down": True})

    async def up(request: web.Request) -> web.Response:
        guard.down = False
        return web.json_response({"down": False})

    app.router.add_post("/workorders", intake)
    app.router.add_get("/workorders", listing)
    app.router.add_post("/admin/callback", callback)
    app.router.add_post("/admin/down", down)
    app.router.add_post("/admin/up", up)
    hotline_knowledge.install(app, store.with_name(store.stem + "-knowledge.jsonl"), secret, guard)
    return app


def main() -> None:
    p = argparse.ArgumentParser(description="12345 hotline stand-in")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8090)
    p.add_argument("--store", default="var/hotline.jsonl")
    p.add_argument("--secret", default=None)
    args = p.parse_args()
    secret = args.secret or load_settings().hotline_secret
    serve(make_app, args.store, secret, args.host, args.port, "hotline stand-in: HOTLINE_SECRET")


if __name__ == "__main__":
    main()

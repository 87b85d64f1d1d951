"""A small stand-in for the national 好差评 system's rating intake (development and tests; docs/haocha.md).

`python -m ops.haocha_standin --port 8093 --store var/haocha.jsonl`
- POST /ratings: checks the signature (timestamp, nonce, HMAC; old or repeated nonces refused), stores each
  report once (deduplicated by the `Idempotency-Key`, which must equal `report_id`): 201, 200 for a repeat;
- GET /ratings: what was received, with the headers it was signed with and how often each was posted;
- POST /admin/down and /admin/up: simulate an outage (answers 503 while down).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from aiohttp import web

from core import signatures
from ops.signed_intake import SignedIntake, append_line, serve

REQUIRED = ("report_id", "channel", "matter_code", "conversation_id", "level", "tags", "text", "rated_at")


def make_app(store: Path, secret: str) -> web.Application:
    app = web.Application()
    guard = SignedIntake(secret)
    received: dict[str, dict] = {}
    if store.exists():
        for line in store.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                received[rec["report"]["report_id"]] = rec

    async def intake(request: web.Request) -> web.Response:
        taken = await guard.take(request, "report_id", received)
        if isinstance(taken, web.Response):
            return taken
        report, key = taken
        missing = [f for f in REQUIRED if f not in report]
        if missing or report["level"] not in (1, 2, 3, 4, 5):
            return web.json_response({"error": "invalid report", "missing": missing}, status=400)
        rec = {"report": report,
               "headers": {h: request.headers[h] for h in (signatures.TS, signatures.NONCE, signatures.SIGNATURE)}}
        received[key] = rec
        append_line(store, rec)
        return web.json_response({"ok": True, "report_id": key}, status=201)

    async def listing(request: web.Request) -> web.Response:
        return web.json_response({"ratings": list(received.values()), "posts": guard.posts})

    async def switch(request: web.Request) -> web.Response:
        guard.down = request.path.endswith("/down")
        return web.json_response({"down": guard.down})

    app.router.add_post("/ratings", intake)
    app.router.add_get("/ratings", listing)
    app.router.add_post("/admin/down", switch)
    app.router.add_post("/admin/up", switch)
    return app


def main() -> None:
    p = argparse.ArgumentParser(description="好差评 stand-in")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8093)
    p.add_argument("--store", default="var/haocha.jsonl")
    args = p.parse_args()
    serve(make_app, args.store, os.environ.get("HAOCHA_SECRET", ""), args.host, args.port,
          "好差评 stand-in: HAOCHA_SECRET")


if __name__ == "__main__":
    main()

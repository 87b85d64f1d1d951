"""The 12345 stand-in's knowledge side (docs/hotline-exchange.md), installed by ops/hotline_receiver.py.

- POST /knowledge/exports: a signed export batch from Bangban, stored once per `Idempotency-Key`
  (the batch id): 201, 200 for a repeat;
- GET /knowledge/exports: the batches received (with their signature headers) and how often each was posted;
- GET /knowledge/answers?after=N: signed request; the hotline's answers with `seq` > N, in a signed response;
- POST /admin/answers `{article_id?, matter?, question, answer, base_version?, effective_date?}`: the
  hotline's knowledge editors add an answer (the stand-in numbers it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from aiohttp import web

from core import signatures
from ops.signed_intake import SignedIntake, append_line


def install(app: web.Application, store: Path, secret: str, guard: SignedIntake) -> None:
    """Add the knowledge routes to the stand-in `app`; batches and answers are appended to `store` (JSON lines)."""
    batches: dict[str, dict] = {}
    answers: list[dict] = []
    if store.exists():
        for line in store.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                if rec["kind"] == "batch":
                    batches[rec["batch"]["batch_id"]] = rec
                else:
                    answers.append(rec["answer"])

    async def intake(request: web.Request) -> web.Response:
        taken = await guard.take(request, "batch_id", batches)
        if isinstance(taken, web.Response):
            return taken
        batch, key = taken
        rec = {"kind": "batch", "batch": batch, "received_at": time.time(),
               "headers": {h: request.headers[h] for h in (signatures.TS, signatures.NONCE, signatures.SIGNATURE)}}
        batches[key] = rec
        append_line(store, rec)
        return web.json_response({"ok": True, "batch_id": key, "count": len(batch.get("articles", []))}, status=201)

    async def listing(request: web.Request) -> web.Response:
        return web.json_response({"exports": list(batches.values()), "posts": guard.posts})

    async def serve_answers(request: web.Request) -> web.Response:
        refused = await guard.refuse(request, b"")
        if refused is not None:
            return refused
        after = int(request.query.get("after", "0") or 0)
        body = json.dumps({"answers": [a for a in answers if a["seq"] > after]}, ensure_ascii=False).encode()
        return web.Response(body=body, content_type="application/json",
                            headers=signatures.signed_headers(secret, body))

    async def add_answer(request: web.Request) -> web.Response:
        data = await request.json()
        if not data.get("question") or not data.get("answer"):
            return web.json_response({"error": "question and answer are required"}, status=400)
        seq = len(answers) + 1
        answer = {"id": f"HL-KA-{seq:05d}", "seq": seq, "revision": 1, "article_id": data.get("article_id"),
                  "matter": data.get("matter"), "question": data["question"], "answer": data["answer"],
                  "base_version": data.get("base_version"), "effective_date": data.get("effective_date"),
                  "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        answers.append(answer)
        append_line(store, {"kind": "answer", "answer": answer})
        return web.json_response(answer, status=201)

    app.router.add_post("/knowledge/exports", intake)
    app.router.add_get("/knowledge/exports", listing)
    app.router.add_get("/knowledge/answers", serve_answers)
    app.router.add_post("/admin/answers", add_answer)

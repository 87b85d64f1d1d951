"""Trainer console and problem-ledger HTTP API, mounted by `bridge.app` when present.

Routes live in `bridge/trainer/routes_*.py`; this module wires the services, the
scheduler (policy versions due today, overdue unanswered questions) and the
OpenAPI paths.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bridge.trainer import services
from bridge.transport.http import openapi
from bridge.transport.http import trainer_kb as routes_kb
from bridge.transport.http import trainer_ledger as routes_ledger
from bridge.transport.http import trainer_nlu as routes_nlu

_OBJ = {"type": "object"}
_BEARER = [{"bearer": []}]


def _op(summary: str, *, body: bool = False, params: tuple[str, ...] = ()) -> dict:
    op: dict = {"summary": summary, "security": _BEARER,
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": _OBJ}}},
                              "401": {"description": "no or bad token"}, "403": {"description": "role not allowed"}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _OBJ}}}
        op["responses"]["400"] = {"description": "bad input"}
        op["responses"]["422"] = {"description": "validation failed: error.errors lists the problems"}
    op["parameters"] = [{"name": n, "in": "path" if n in ("job_id", "aid", "did", "uid", "eid") else "query",
                         "required": n in ("job_id", "aid", "did", "uid", "eid"), "schema": {"type": "string"}}
                        for n in params]
    return op


PATHS = {
    "/api/v1/trainer/nlu": {"get": _op("Intents (examples, rules, stories), synonyms, lookups, regexes")},
    "/api/v1/trainer/files": {"get": _op("Text of a training file", params=("path",)),
                              "put": _op("Replace a training file (validated)", body=True)},
    "/api/v1/trainer/nlu/examples": {"post": _op("Add an NLU example (validated)", body=True),
                                     "put": _op("Edit an NLU example: {kind,name,old,text}", body=True),
                                     "delete": _op("Delete an NLU example: {kind,name,text}", body=True)},
    "/api/v1/trainer/history": {"get": _op("Change history (who, when, what, diff)", params=("target",))},
    "/api/v1/trainer/train": {"post": _op("Start train-evaluate-reload (202; 409 when busy)"),
                              "get": _op("Recent training jobs")},
    "/api/v1/trainer/train/{job_id}": {"get": _op("Training job status, progress and log", params=("job_id",))},
    "/api/v1/trainer/parse": {"post": _op("Parse a sentence with the live model", body=True)},
    "/api/v1/trainer/kb/matters": {"get": _op("Catalogue matters with article counts")},
    "/api/v1/trainer/kb/articles": {"get": _op("Live and pending articles of a matter", params=("matter",)),
                                    "post": _op("Save/publish an article version", body=True)},
    "/api/v1/trainer/kb/articles/{aid}/versions": {"get": _op("Versions of an article", params=("aid",))},
    "/api/v1/trainer/kb/publish-check": {"get": _op("Last publish day for a policy date",
                                                    params=("policy_effective_date",))},
    "/api/v1/trainer/drafts": {"get": _op("Drafts review queue", params=("status",))},
    "/api/v1/trainer/drafts/{did}": {"put": _op("Edit a draft", body=True, params=("did",))},
    "/api/v1/trainer/drafts/{did}/approve": {"post": _op("Approve: publish + NLU example", body=True,
                                                         params=("did",))},
    "/api/v1/trainer/drafts/{did}/reject": {"post": _op("Reject a draft", body=True, params=("did",))},
    "/api/v1/trainer/unanswered": {"get": _op("Unanswered questions with deadlines",
                                              params=("status", "matter", "department", "overdue"))},
    "/api/v1/trainer/unanswered/{uid}/answer": {"post": _op("Answer into the KB", body=True, params=("uid",))},
    "/api/v1/trainer/unanswered/{uid}/dismiss": {"post": _op("Dismiss (not a question)", body=True,
                                                             params=("uid",))},
    "/api/v1/trainer/unanswered/flag-overdue": {"post": _op("Flag overdue questions to supervisors")},
    "/api/v1/ledger": {"get": _op("Problem ledger", params=("status", "matter", "department", "source")),
                       "post": _op("Register a problem", body=True)},
    "/api/v1/ledger/{eid}": {"get": _op("One ledger entry", params=("eid",)),
                             "patch": _op("Update / move status (open→rectifying→closed)", body=True,
                                          params=("eid",)),
                             "delete": _op("Delete (supervisor, admin)", params=("eid",))},
    "/api/v1/ledger/hotspots": {"get": _op("Hot-spot proposals from online help", params=("days", "min"))},
    "/api/v1/ledger/export": {"get": _op("Export CSV or XLSX", params=("format", "status"))},
}


def setup(app: web.Application) -> None:
    ctx = app["ctx"]
    svc = services.build(ctx)
    app["trainer"] = svc
    routes_nlu.setup(app, ctx, svc)
    routes_kb.setup(app, ctx, svc)
    routes_ledger.setup(app, ctx)
    openapi.add_paths(PATHS)

    async def start(app: web.Application) -> None:
        svc.tasks.append(asyncio.create_task(services.scheduler(ctx, svc)))

    async def stop(app: web.Application) -> None:
        await services.stop(svc)

    app.on_startup.append(start)
    app.on_cleanup.insert(0, stop)

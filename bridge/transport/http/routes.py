"""Every HTTP route of the bridge: the resource tables, installed with the guard and documented."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from bridge.transport.http import (
    conversations,
    cti,
    dev,
    health,
    hotline,
    kb,
    kb_exchange,
    model_files,
    notify,
    offline_help,
    openapi,
    panes,
    privacy,
    rectification,
    reports,
    staff,
    trainer,
    trainer_convs,
    trainer_kb,
    trainer_learn,
    trainer_ledger,
    trainer_matters,
    trainer_nlu,
    trainer_review,
    trainer_stories,
)
from bridge.transport.http.middleware import authorize, staff_guard
from bridge.transport.http.rate_limit import http_rate_limit
from core.http_routes import RouteTable

TABLES: tuple[RouteTable, ...] = (
    health.table, openapi.table, dev.table, staff.table, conversations.table, hotline.table, reports.table,
    kb.table, trainer_nlu.table, trainer_kb.table, trainer_review.table, trainer_ledger.table, privacy.table,
    model_files.table,
    cti.table,
    offline_help.table,
    notify.table,
    trainer_stories.table, trainer_learn.table,
    trainer_convs.table,
    trainer_matters.table,
    kb_exchange.table,
    rectification.table,
)


def install(app: web.Application, documented: Iterable[RouteTable] = ()) -> None:
    """Install the bridge's routes and panes on `app`; the document also lists `documented` (e.g. media)."""
    app.middlewares.append(http_rate_limit(app["ctx"]))
    app.middlewares.append(staff_guard(app["ctx"]))
    kb.install(app)
    trainer.install(app)
    for t in TABLES:
        t.install(app, authorize)
    app[openapi.DOCUMENT] = openapi.build([*TABLES, *documented], app["ctx"].catalogue)
    panes.install(app)

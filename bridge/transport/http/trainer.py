"""The trainer console's services on the application: built once, with their scheduler.

The routes are in `trainer_nlu.py`, `trainer_kb.py`, `trainer_review.py` and `trainer_ledger.py`;
the scheduler applies policy versions due today and flags overdue unanswered questions.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bridge.trainer import services
from bridge.trainer.services import TrainerServices
from core.errors import ApiError

TRAINER = web.AppKey("trainer", TrainerServices)
DENIED = "仅训练师可以使用该功能。"


def trainer_services(request: web.Request) -> TrainerServices:
    """The trainer services of this bridge process."""
    return request.app[TRAINER]


def validated(result: dict) -> dict:
    """The result of a checked edit when written; ApiError 422 with the validation errors otherwise."""
    if result.get("changed") or result.get("ok"):
        return result
    raise ApiError(422, "validation_failed", "校验未通过，未保存。", errors=result.get("errors", []),
                   warnings=result.get("warnings", []), stage=result.get("stage"))


def install(app: web.Application) -> None:
    """Build the services and run their scheduler while the application runs."""
    ctx = app["ctx"]
    svc = services.build(ctx)
    app[TRAINER] = svc

    async def start(app: web.Application) -> None:
        svc.tasks.append(asyncio.create_task(services.scheduler(ctx, svc)))

    async def stop(app: web.Application) -> None:
        await services.stop(svc)

    app.on_startup.append(start)
    app.on_cleanup.insert(0, stop)

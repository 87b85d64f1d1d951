"""The trainer console's services, built once per bridge process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from bridge.trainer.kb_edit import KbEditor
from bridge.trainer.learn import Learner
from bridge.trainer.nlu_service import NluService
from bridge.trainer.review import ReviewService
from bridge.trainer.stories_edit import StoriesService
from bridge.trainer.training import Trainer
from bridge.trainer.worker_client import RasaWorker

log = logging.getLogger("bangban.trainer")
SCHEDULE_INTERVAL_S = 60.0


@dataclass
class TrainerServices:
    worker: RasaWorker
    nlu: NluService
    kb: KbEditor
    trainer: Trainer
    stories: StoriesService
    learner: Learner
    review: ReviewService
    tasks: list[asyncio.Task] = field(default_factory=list)


def build(ctx) -> TrainerServices:
    worker = RasaWorker()
    nlu = NluService(ctx.store, worker)
    return TrainerServices(worker=worker, nlu=nlu, kb=KbEditor(ctx.store, ctx.catalogue),
                           trainer=Trainer(ctx.store, ctx.settings, worker),
                           stories=StoriesService(ctx.store, nlu), learner=Learner(ctx.settings, worker),
                           review=ReviewService(ctx.store, ctx.catalogue, nlu))


async def scheduler(ctx, services: TrainerServices, interval_s: float = SCHEDULE_INTERVAL_S) -> None:
    """Every minute: apply policy versions whose day has come; flag overdue unanswered questions."""
    while True:
        try:
            applied = await services.kb.apply_due()
            if applied:
                log.info("applied scheduled KB versions: %s", applied)
            await ctx.unanswered.flag_overdue(ctx.delivery)
        except Exception:  # noqa: BLE001 - keep the loop alive
            log.warning("trainer scheduler round failed", exc_info=True)
        await asyncio.sleep(interval_s)


async def stop(services: TrainerServices) -> None:
    for task in services.tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await services.worker.stop()

"""A policy version published ahead of its effective date becomes the bot's answer on that day,
by the trainer scheduler's switch job and without a restart (issue 16), under a controlled clock."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

from bot.actions.brain import Brain
from bot.actions.runtime import Runtime
from bot.actions.turns import Turn
from bridge.domain.auth import Principal
from bridge.trainer import services
from core.clock import ControlledClock, use_clock
from kb.importer import import_kb
from kb.loader import load_kb
from tests.conftest import copy_project

ARTICLE = "residence-permit.fees"
NEW_ANSWER = "自明日起，居住证补领收取工本费20元，首次申领仍不收费。"
TRAINER = Principal(id="trainer-1", role="trainer", name="培训师")


def ask(brain: Brain) -> dict:
    """What the bot answers to a question about the residence permit's fees."""
    turn = Turn(intent="ask_fees", confidence=0.95, text="办居住证要交钱吗", ranking=[("ask_fees", 0.95)])
    return brain.respond("action_answer", turn).message


async def bot_answer(runtime: Runtime, wanted: str | None = None, timeout_s: float = 60.0) -> dict:
    """The bot's answer, asked again (as by new questions) until it contains `wanted` or time is up
    (the index is rebuilt in the background: 3-5 s on an idle machine, longer on a busy one)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        message = ask(await runtime.brain())
        if wanted is None or wanted in message["text"] or asyncio.get_running_loop().time() > deadline:
            return message
        await asyncio.sleep(0.1)


async def test_a_version_taking_effect_tomorrow_is_answered_from_that_day_without_a_restart(
        desk, tmp_path, monkeypatch):
    monkeypatch.setenv("BANGBAN_TRAINER_ROOT", str(copy_project(tmp_path / "project")))
    # today at 10:00 in Shanghai (02:00 UTC: the same day in Shanghai and on the machine, whose date the loader checks)
    start = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(2, 0), dt.UTC)
    tomorrow_day = (start + dt.timedelta(days=1)).date().isoformat()
    clock = ControlledClock(start)
    previous = use_clock(clock)
    job: asyncio.Task | None = None
    try:
        await import_kb(desk.store, load_kb())
        runtime = Runtime(desk.store)  # the action server's KB runtime over the same database
        await runtime.searcher.refresh()
        before = await bot_answer(runtime)
        assert before["meta"]["kb_article"] == ARTICLE and NEW_ANSWER not in before["text"]

        trainer = services.build(desk.ctx)
        live = await desk.store.kb_articles.find_one({"_id": ARTICLE})
        fields = ("id", "matter", "aspect", "title", "question", "steps", "source")
        saved = await trainer.kb.save(TRAINER, {**{k: live.get(k) for k in fields}, "id": ARTICLE,
                                                "answer": NEW_ANSWER, "policy_effective_date": tomorrow_day})
        assert saved["applied"] is False, saved  # waiting for its day

        job = asyncio.create_task(services.scheduler(desk.ctx, trainer, interval_s=0.05))
        await asyncio.sleep(0.5)  # the switch job runs several times today
        today = await bot_answer(runtime)
        assert today["meta"]["kb_article"] == ARTICLE and NEW_ANSWER not in today["text"]
        assert (await desk.store.kb_articles.find_one({"_id": ARTICLE}))["answer"] == live["answer"]

        clock.advance(dt.timedelta(days=1))  # 10:00 on the policy's day
        tomorrow = await bot_answer(runtime, wanted=NEW_ANSWER)
        assert tomorrow["meta"]["kb_article"] == ARTICLE and NEW_ANSWER in tomorrow["text"], tomorrow["text"]
        version = await desk.store.kb_versions.find_one({"article_id": ARTICLE, "answer": NEW_ANSWER})
        assert version["applied"] is True and version["applied_at"] == clock.now().replace(
            microsecond=clock.now().microsecond // 1000 * 1000)
    finally:
        use_clock(previous)
        if job is not None:
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job

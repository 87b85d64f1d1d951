"""Interactive learning: talk to the candidate model, correct each turn, keep the talk as a story.

The console holds the conversation (turns `{text, intent, entities, actions}`, corrected by the
trainer) and sends it with every new sentence; the worker rebuilds the tracker from it and answers
the parse of the sentence and the actions the model would take next (`rasa_dialogue.learn`). The
model is the candidate (the newest trained one, see `story_tests.candidate_path`), else the live one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from bridge.trainer.story_tests import candidate_path
from bridge.trainer.worker_client import RasaWorker
from core.pii import mask_pii
from core.settings import Settings
from ops.model import cache_dir


class NoModel(Exception):
    """Neither a candidate model nor the live model's file is available."""


async def live_model(settings: Settings) -> Path | None:
    """The file of the model the bot runs now (Rasa names it; it is one of ours or the launcher's cache)."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s:
            async with s.get(f"{settings.rasa_url}/status", params=settings.rasa_auth) as r:
                name = Path(str((await r.json(content_type=None)).get("model_file") or "")).name
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    if not name:
        return None
    for folder in (settings.var_dir / "models", cache_dir() / "models"):
        if (folder / name).is_file():
            return folder / name
    return None


async def model_for_learning(settings: Settings) -> tuple[Path, str]:
    """(model file, "candidate" or "live") for a learning session; NoModel when there is none."""
    candidate = candidate_path(settings)
    if candidate.is_file():
        return candidate, "candidate"
    live = await live_model(settings)
    if live is None:
        raise NoModel()
    return live, "live"


class Learner:
    def __init__(self, settings: Settings, worker: RasaWorker) -> None:
        self.settings = settings
        self.worker = worker

    async def turn(self, turns: list[dict[str, Any]], text: str, intent: str | None = None,
                   entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The model's reading of `text` after `turns` (intent optionally corrected) and its next actions."""
        model, which = await model_for_learning(self.settings)
        req: dict[str, Any] = {"cmd": "learn", "model": str(model), "turns": turns, "text": mask_pii(text),
                               "intent": intent}
        if entities is not None:
            req["entities"] = entities
        res = await self.worker.call(req)
        if not res.get("ok"):
            raise RuntimeError("；".join(res.get("errors") or ["预测失败"]))
        res.pop("ok", None)
        return {**res, "model": which, "model_file": model.name}

"""Test stories before go-live: every story of `data/test_stories/` run with the candidate model.

Each user text is parsed by the candidate model (its intent must be the story's) and each bot
action is predicted from the story's own events so far (it must be the story's), as `rasa test`
does; the worker does the running (`rasa_dialogue.story_test`). A model goes live only when every
test story passes. The model trained by the last go-live job is kept as the candidate, for
interactive learning and for running the tests again from the console.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from bridge.trainer import project
from bridge.trainer import stories_model as sm
from bridge.trainer.stories_edit import read_tests
from bridge.trainer.worker_client import RasaWorker
from core.settings import Settings

CANDIDATE = "candidate.tar.gz"


def candidate_path(settings: Settings) -> Path:
    """Where the newest trained model (live or not) is kept."""
    return settings.var_dir / "models" / CANDIDATE


def cases(root: Path | None = None) -> list[dict[str, Any]]:
    """The test stories as `{name, file, turns}` (and `error` for a file that cannot be read)."""
    return [{"name": s["name"], "file": s["file"], "turns": sm.turns_of(s["steps"]),
             **({"error": s["error"]} if "error" in s else {})} for s in read_tests(root or project.project_root())]


async def run(worker: RasaWorker, model: Path) -> dict[str, Any]:
    """Run every test story with `model`: `{total, passed, failed, results: [{name, file, passed, steps}]}`."""
    every = await asyncio.to_thread(cases)
    stories = [s for s in every if "error" not in s]
    results: list[dict[str, Any]] = [
        {"name": s["name"], "file": s["file"], "passed": False,
         "steps": [{"turn": 0, "kind": "file", "expected": "测试故事文件", "got": s["error"], "ok": False}]}
        for s in every if "error" in s]
    if stories:
        res = await worker.call({"cmd": "story_test", "model": str(model), "stories": stories})
        if not res.get("ok"):
            raise RuntimeError("测试故事运行失败：" + "；".join(res.get("errors") or []))
        results += res["results"]
    failed = [r["name"] for r in results if not r["passed"]]
    return {"total": len(results), "passed": len(results) - len(failed), "failed": failed, "results": results,
            "model": model.name}


def verdict(summary: dict[str, Any]) -> str:
    if summary["failed"]:
        return f"测试故事 {summary['passed']}/{summary['total']} 通过，未通过：{'、'.join(summary['failed'][:5])}。"
    return f"测试故事 {summary['total']} 条全部通过。"


async def gate(worker: RasaWorker, settings: Settings, model: Path, evaluation: dict[str, Any]) -> dict[str, Any]:
    """Keep `model` as the candidate, run the test stories with it and add them to the go-live `evaluation`.

    The evaluation fails when a test story fails; its verdict then says which.
    """
    keep = candidate_path(settings)
    keep.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(shutil.copy2, model, keep.with_suffix(".tmp"))
    keep.with_suffix(".tmp").replace(keep)
    summary = await run(worker, model)
    passed = bool(evaluation.get("passed")) and not summary["failed"]
    reason = f"{evaluation.get('verdict', '')}{verdict(summary)}"
    if summary["failed"]:
        reason += "新模型未上线。"
    return {**evaluation, "passed": passed, "verdict": reason, "story_tests": summary}

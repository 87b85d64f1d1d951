""""Train and reload": validate, train to a temp dir, evaluate, and only then load the model.

One job at a time (a `locks` document); the job's progress and log lines live in
`trainer_jobs`, so any bridge process can answer the status endpoint.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from pymongo.errors import DuplicateKeyError

from bridge.domain.auth import Principal
from bridge.trainer import evaluation, project, story_tests
from bridge.trainer.model_store import ModelStore
from bridge.trainer.validate import validate_change
from bridge.trainer.worker_client import RasaWorker
from core.clock import iso, now
from core.settings import ROOT, Settings
from ops.model import rasa_bin, rasa_env

log = logging.getLogger("bangban.trainer.training")
LOCK_ID = "trainer-training"
LIVE_ID = "rasa"
STALE_AFTER = dt.timedelta(minutes=30)
MAX_LOG = 400
_PROGRESS = (("Starting to train component", 2), ("Finished training component", 3))


class TrainingBusy(Exception):
    """Another training job is running."""


def job_wire(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], "status": doc["status"], "stage": doc.get("stage"), "progress": doc.get("progress", 0),
            "log": doc.get("log", []), "evaluation": doc.get("evaluation"), "model": doc.get("model"),
            "by": doc.get("by"), "started_at": iso(doc.get("started_at")), "finished_at": iso(doc.get("finished_at")),
            "error": doc.get("error")}


class Trainer:
    def __init__(self, store, settings: Settings, worker: RasaWorker) -> None:
        self.store = store
        self.settings = settings
        self.worker = worker
        self.models = ModelStore(store, settings)
        self.tasks: set[asyncio.Task] = set()

    async def start(self, who: Principal) -> dict[str, Any]:
        """Start a job (raises TrainingBusy when one is running)."""
        job_id = uuid.uuid4().hex
        t = now()
        await self.store.locks.delete_many({"_id": LOCK_ID, "ts": {"$lt": t - STALE_AFTER}})
        try:
            await self.store.locks.insert_one({"_id": LOCK_ID, "job": job_id, "ts": t})
        except DuplicateKeyError:
            raise TrainingBusy() from None
        doc = {"_id": job_id, "status": "running", "stage": "validate", "progress": 0, "log": [],
               "by": {"id": who.id, "name": who.name}, "started_at": t}
        await self.store.trainer_jobs.insert_one(doc)
        task = asyncio.create_task(self._run(job_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return job_wire(doc)

    async def get(self, job_id: str) -> dict[str, Any] | None:
        doc = await self.store.trainer_jobs.find_one({"_id": job_id})
        return job_wire(doc) if doc else None

    async def recent(self, limit: int = 10) -> list[dict[str, Any]]:
        docs = await self.store.trainer_jobs.find({}, {"log": 0}, sort=[("started_at", -1)], limit=limit).to_list(None)
        return [job_wire(d) for d in docs]

    async def _set(self, job_id: str, line: str | None = None, **fields: Any) -> None:
        update: dict[str, Any] = {}
        if fields:
            update["$set"] = fields
        if line:
            update["$push"] = {"log": f"{now().astimezone(dt.timezone(dt.timedelta(hours=8))):%H:%M:%S} {line}"}
        if update:
            await self.store.trainer_jobs.update_one({"_id": job_id}, update)

    async def _run(self, job_id: str) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="bangban-train-"))
        try:
            await self._set(job_id, "校验训练数据（结构检查 + rasa data validate）……", stage="validate", progress=5)
            check = await validate_change(self.worker, {})
            if not check["ok"]:
                await self._set(job_id, "校验未通过：" + "；".join(check["errors"][:5]), status="failed",
                                error="训练数据校验未通过。", finished_at=now())
                return
            await self._set(job_id, "校验通过，开始训练模型……", stage="train", progress=10)
            model = await self._train(job_id, tmp)
            await self._set(job_id, "训练完成，开始评估（上线评估集答案准确率）……", stage="evaluate", progress=75)
            result = await self._evaluate(model)
            result = await story_tests.gate(self.worker, self.settings, model, result)  # test stories must pass
            await self._set(job_id, result["verdict"], evaluation=result, progress=90)
            if not result["passed"]:
                await self._set(job_id, status="rejected", finished_at=now(), error=result["verdict"])
                return
            live = self.settings.var_dir / "models" / f"trainer-{job_id}.tar.gz"
            live.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(model, live)
            await self._set(job_id, "评估通过，正在加载到线上机器人……", stage="load", progress=92)
            await self._load(live)
            await self._store_live(live.name, result)
            await self._set(job_id, "新模型已上线。", status="done", stage="done", progress=100, model=live.name,
                            finished_at=now())
        except Exception as exc:  # noqa: BLE001 - the job reports every failure
            log.exception("training job %s failed", job_id)
            await self._set(job_id, f"失败：{exc}", status="failed", error=str(exc)[:500], finished_at=now())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            await self.store.locks.delete_one({"_id": LOCK_ID, "job": job_id})

    async def _train(self, job_id: str, out: Path) -> Path:
        root = project.project_root()
        cmd = [str(rasa_bin()), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data/nlu",
               "data/rules.yml", "data/stories.yml", "--out", str(out), "--fixed-model-name", "model"]
        env = {**os.environ, **rasa_env(), "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO"}
        proc = await asyncio.create_subprocess_exec(*cmd, cwd=str(root), env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT, limit=1024 * 1024)
        assert proc.stdout
        progress, lines, tail = 10, 0, []
        async for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            tail = (tail + [line])[-20:]
            if any(m in line for m, _ in _PROGRESS):
                progress = min(70, progress + next(s for m, s in _PROGRESS if m in line))
                lines += 1
                if lines <= MAX_LOG:
                    await self._set(job_id, line.split(" - ", 1)[-1][:200], progress=progress)
        code = await proc.wait()
        if code != 0:
            raise RuntimeError(f"rasa train 退出码 {code}：" + " | ".join(tail[-5:]))
        return out / "model.tar.gz"

    async def _evaluate(self, model: Path) -> dict[str, Any]:
        questions = evaluation.load_golive()
        if not questions:
            raise RuntimeError("缺少上线评估集 data/eval/golive.yml，无法评估。")
        from bot.offline import texts_of

        texts = texts_of(questions)
        res = await self.worker.call({"cmd": "parse", "model": str(model), "texts": texts})
        if not res.get("ok"):
            raise RuntimeError("评估失败：" + "；".join(res.get("errors") or []))
        new_parses = [_parse_of(t, r) for t, r in zip(texts, res["results"], strict=True)]
        live_parses = await self._live_parses(texts)
        brain = await self._brain()
        new_acc, wrong = await asyncio.to_thread(evaluation.article_accuracy, questions, new_parses, brain)
        live_acc, live_source = None, None
        if live_parses:
            live_acc, _ = await asyncio.to_thread(evaluation.article_accuracy, questions, live_parses, brain)
            live_source = "measured"
        else:
            live_acc = await self._stored_live()
            live_source = "stored" if live_acc is not None else None
        verdict = evaluation.gate(new_acc, live_acc, asked=evaluation.matter_questions(questions))
        intents = [new_parses[i]["intent"]["name"] for i in _last_turns(questions)]
        return {"questions": len(questions), "accuracy": new_acc, "live_accuracy": live_acc,
                "live_source": live_source, "set": evaluation.set_digest(),
                "intent_accuracy": evaluation.accuracy(questions, intents),
                "passed": verdict.passed, "verdict": verdict.reason, "errors": wrong[:30]}

    async def _stored_live(self) -> float | None:
        """The live model's article accuracy stored when it went live, if measured on today's set."""
        doc = await self.store.trainer_live.find_one({"_id": LIVE_ID})
        return doc["accuracy"] if doc and doc.get("set") == evaluation.set_digest() else None

    async def _store_live(self, model: str, result: dict[str, Any]) -> None:
        """Keep the figures of the model that just went live (the next candidate must not fall below)."""
        await self.store.trainer_live.update_one({"_id": LIVE_ID}, {"$set": {
            "model": model, "accuracy": result["accuracy"], "intent_accuracy": result.get("intent_accuracy"),
            "set": result.get("set"), "questions": result["questions"], "at": now()}}, upsert=True)

    async def _brain(self):
        """小申's brain over the live KB, as the action server builds it."""
        from bot.actions.runtime import build_brain
        from kb.loader import Article
        from kb.search import BM25Index
        from kb.versions import INACTIVE

        docs = await self.store.kb_articles.find({"status": {"$nin": list(INACTIVE)}}).to_list(None)
        return await asyncio.to_thread(lambda: build_brain(BM25Index(Article.from_doc(d) for d in docs)))

    async def _live_parses(self, texts: list[str]) -> list[dict[str, Any]] | None:
        timeout = aiohttp.ClientTimeout(total=10)
        sem = asyncio.Semaphore(4)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as s:
                async def one(text: str) -> dict[str, Any]:
                    async with sem, s.post(f"{self.settings.rasa_url}/model/parse", json={"text": text},
                                                params=self.settings.rasa_auth) as r:
                        return await r.json(content_type=None)
                return list(await asyncio.gather(*(one(t) for t in texts)))
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def _load(self, model: Path) -> None:
        """Publish the model to shared storage and load it on every Rasa server, one after the other."""
        await self.models.rollout(await self.models.publish(model))


def _parse_of(text: str, result: dict[str, Any]) -> dict[str, Any]:
    """A Rasa-shaped parse from the worker's result (intent name, confidence, ranking, entities)."""
    return {"text": text, "intent": {"name": result.get("intent"), "confidence": result.get("confidence") or 0.0},
            "intent_ranking": result.get("intent_ranking") or [], "entities": result.get("entities") or []}


def _last_turns(questions: list[dict[str, Any]]) -> list[int]:
    """Index in `texts_of(questions)` of each question's own text."""
    out, i = [], 0
    for q in questions:
        i += 2 if q.get("after") else 1
        out.append(i - 1)
    return out

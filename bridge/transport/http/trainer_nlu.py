"""HTTP routes of the trainer console: NLU data, rules and stories, history, training, parse."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.domain.scope import record_filter
from bridge.trainer import history, nlu_files, project
from bridge.trainer.training import TrainingBusy
from bridge.transport.http.common import TRAINERS, app_context, ok, principal
from bridge.transport.http.models import Out, Records
from bridge.transport.http.trainer import DENIED, trainer_services, validated
from core.errors import ApiError
from core.http_routes import RouteTable, body
from core.pii import mask_pii

table = RouteTable("trainer", denied=DENIED)
VALIDATION = {422: "validation failed: error.errors lists the problems"}


class ExampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(default="intent", pattern="^(intent|synonym|lookup|regex)$")
    name: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=nlu_files.MAX_EXAMPLE)
    old: str | None = Field(default=None, max_length=nlu_files.MAX_EXAMPLE)


class FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=2_000_000)


class ParseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=500)


class FileQuery(BaseModel):
    path: str = Field(default="", description="path of a training file, relative to the project")


class HistoryQuery(BaseModel):
    target: str = ""


class FileOut(Out):
    path: str
    text: str


class ChangeOut(Out):
    changed: bool


class HistoryOut(Out):
    history: Records


class JobOut(Out):
    job: dict[str, Any]


class JobsOut(Out):
    jobs: Records


class ParseOut(Out):
    text: str
    ranking: Records
    entities: Records
    model: str


@table.get("/api/v1/trainer/nlu", summary="Intents (examples, rules, stories), synonyms, lookups, regexes",
           auth=TRAINERS)
async def overview(request: web.Request) -> web.Response:
    return ok(trainer_services(request).nlu.overview())


@table.get("/api/v1/trainer/files", summary="Text of a training file", auth=TRAINERS, query=FileQuery,
           response=FileOut, errors={404: "no such training file"})
async def get_file(request: web.Request) -> web.Response:
    path = request.query.get("path", "")
    try:
        return ok({"path": path, "text": trainer_services(request).nlu.file_text(path)})
    except (ValueError, FileNotFoundError):
        raise ApiError(404, "not_found") from None


@table.put("/api/v1/trainer/files", summary="Replace a training file (validated)", auth=TRAINERS, body=FileIn,
           response=ChangeOut,
           errors={400: "not an editable training file", 404: "no such training file", **VALIDATION})
async def put_file(request: web.Request) -> web.Response:
    m = body(request, FileIn)
    try:
        project.editable(m.path)
    except ValueError:
        raise ApiError(400, "invalid_path") from None
    text = mask_pii(m.text if m.text.endswith("\n") else m.text + "\n")  # examples in files are masked too
    try:
        result = await trainer_services(request).nlu.change(principal(request), m.path, lambda _old: text,
                                                            "file_edit", f"编辑文件 {m.path}")
    except (ValueError, FileNotFoundError):
        raise ApiError(404, "not_found") from None
    return ok(validated(result))


async def example_change(request: web.Request, op: str) -> web.Response:
    """Add, edit or delete one NLU example, validated before it is written."""
    m = body(request, ExampleIn)
    # stored, compared and recorded in history as they are kept in the training data: masked
    m = m.model_copy(update={"text": mask_pii(m.text), "old": mask_pii(m.old) if m.old else m.old})
    svc = trainer_services(request)
    try:
        relpath = svc.nlu.locate(m.kind, m.name, None if op == "add" else (m.old if op == "edit" else m.text))
        if op == "add":
            edit = lambda t: nlu_files.add_example(t, m.kind, m.name, m.text)  # noqa: E731
            summary = f"{m.name} 新增例句：{m.text.strip()}"
        elif op == "edit":
            if not m.old:
                raise ApiError(400, "invalid_payload", "修改例句须提供原例句 old。")
            edit = lambda t: nlu_files.edit_example(t, m.kind, m.name, m.old or "", m.text)  # noqa: E731
            summary = f"{m.name} 修改例句：{m.old} → {m.text.strip()}"
        else:
            edit = lambda t: nlu_files.delete_example(t, m.kind, m.name, m.text)  # noqa: E731
            summary = f"{m.name} 删除例句：{m.text.strip()}"
        result = await svc.nlu.change(principal(request), relpath, edit, f"nlu_{op}", summary,
                                      {"kind": m.kind, "name": m.name, "example": m.text, "old": m.old})
    except nlu_files.EditError as exc:
        raise ApiError(422, "validation_failed", str(exc), errors=[str(exc)], warnings=[], stage="edit") from None
    return ok(validated(result))


@table.post("/api/v1/trainer/nlu/examples", summary="Add an NLU example (validated)", auth=TRAINERS,
            body=ExampleIn, response=ChangeOut, errors=VALIDATION)
async def add_example(request: web.Request) -> web.Response:
    return await example_change(request, "add")


@table.put("/api/v1/trainer/nlu/examples", summary="Edit an NLU example (`old` → `text`)", auth=TRAINERS,
           body=ExampleIn, response=ChangeOut, errors=VALIDATION)
async def edit_example(request: web.Request) -> web.Response:
    return await example_change(request, "edit")


@table.delete("/api/v1/trainer/nlu/examples", summary="Delete an NLU example", auth=TRAINERS, body=ExampleIn,
              response=ChangeOut, errors=VALIDATION)
async def delete_example(request: web.Request) -> web.Response:
    return await example_change(request, "delete")


@table.get("/api/v1/trainer/history", summary="Change history (who, when, what, diff)",
           auth=TRAINERS + ("supervisor",), query=HistoryQuery, response=HistoryOut)
async def get_history(request: web.Request) -> web.Response:
    q = {"target": request.query["target"]} if request.query.get("target") else {}
    q.update(record_filter(principal(request)))  # entries name no department yet: bot-wide roles only
    docs = await app_context(request).store.trainer_history.find(q, sort=[("ts", -1)], limit=100).to_list(None)
    return ok({"history": [history.wire(d) for d in docs]})


@table.post("/api/v1/trainer/train", summary="Start train-evaluate-reload", auth=TRAINERS, status=202,
            response=JobOut, errors={409: "a training job is running"})
async def train(request: web.Request) -> web.Response:
    p = principal(request)
    try:
        job = await trainer_services(request).trainer.start(p)
    except TrainingBusy:
        raise ApiError(409, "training_busy", "已有训练任务在进行，请稍后再试。") from None
    await history.record(app_context(request).store, p, "train", job["id"], "启动训练并上线")
    return ok({"job": job}, status=202)


@table.get("/api/v1/trainer/train", summary="Recent training jobs", auth=TRAINERS, response=JobsOut)
async def jobs(request: web.Request) -> web.Response:
    return ok({"jobs": await trainer_services(request).trainer.recent()})


@table.get("/api/v1/trainer/train/{job_id}", summary="Training job status, progress and log", auth=TRAINERS,
           response=JobOut, errors={404: "unknown job"})
async def job(request: web.Request) -> web.Response:
    found = await trainer_services(request).trainer.get(request.match_info["job_id"])
    if found is None:
        raise ApiError(404, "not_found")
    return ok({"job": found})


@table.post("/api/v1/trainer/parse", summary="Parse a sentence with the live model", auth=TRAINERS,
            body=ParseIn, response=ParseOut, errors={503: "the bot is unavailable"})
async def parse(request: web.Request) -> web.Response:
    m = body(request, ParseIn)
    settings = app_context(request).settings
    rasa_url, auth = settings.rasa_url, settings.rasa_auth
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as s:
            async with s.post(f"{rasa_url}/model/parse", json={"text": m.text}, params=auth) as r:
                parsed = await r.json(content_type=None)
            async with s.get(f"{rasa_url}/status", params=auth) as r:
                status = await r.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        raise ApiError(503, "bot_unavailable", "机器人服务暂不可用。") from None
    ranking = [{"name": i.get("name"), "confidence": i.get("confidence")}
               for i in (parsed.get("intent_ranking") or [])[:5]]
    entities = [{"entity": e.get("entity"), "value": e.get("value"), "text": m.text[e["start"]:e["end"]]
                 if "start" in e and "end" in e else None} for e in parsed.get("entities") or []]
    return ok({"text": m.text, "intent": parsed.get("intent"), "ranking": ranking, "entities": entities,
               "model": str(status.get("model_file") or "").rsplit("/", 1)[-1]})

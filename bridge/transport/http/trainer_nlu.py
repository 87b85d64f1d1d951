"""HTTP routes of the trainer console: NLU data, rules and stories, history, training, parse."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.trainer import history, nlu_files
from bridge.trainer.services import TrainerServices
from bridge.trainer.training import TrainingBusy
from bridge.transport.http.api import body_of, ok
from core.errors import ApiError

TRAINERS = ("trainer", "admin")


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


def principal(ctx, request: web.Request, roles: tuple[str, ...] = TRAINERS):
    p = ctx.tokens.from_request(request)
    if p.role not in roles:
        raise ApiError(403, "forbidden", "仅训练师可以使用该功能。")
    return p


def saved(result: dict[str, Any]) -> web.Response:
    """200 with the result when written; 422 with the validation errors otherwise."""
    if result.get("changed") or result.get("ok"):
        return ok(result)
    raise ApiError(422, "validation_failed", "校验未通过，未保存。", errors=result.get("errors", []),
                   warnings=result.get("warnings", []), stage=result.get("stage"))


def setup(app: web.Application, ctx, svc: TrainerServices) -> None:
    routes = web.RouteTableDef()

    @routes.get("/api/v1/trainer/nlu")
    async def overview(request: web.Request) -> web.Response:
        principal(ctx, request)
        return ok(svc.nlu.overview())

    @routes.get("/api/v1/trainer/files")
    async def get_file(request: web.Request) -> web.Response:
        principal(ctx, request)
        path = request.query.get("path", "")
        try:
            return ok({"path": path, "text": svc.nlu.file_text(path)})
        except (ValueError, FileNotFoundError):
            raise ApiError(404, "not_found") from None

    @routes.put("/api/v1/trainer/files")
    async def put_file(request: web.Request) -> web.Response:
        p = principal(ctx, request)
        m = await body_of(request, FileIn)
        if m.path.startswith("data/kb"):
            raise ApiError(400, "invalid_payload", "知识库文章请在知识库页面编辑。")
        try:
            result = await svc.nlu.change(p, m.path, lambda _old: m.text if m.text.endswith("\n") else m.text + "\n",
                                          "file_edit", f"编辑文件 {m.path}")
        except (ValueError, FileNotFoundError):
            raise ApiError(404, "not_found") from None
        return saved(result)

    async def example_change(request: web.Request, op: str) -> web.Response:
        p = principal(ctx, request)
        m = await body_of(request, ExampleIn)
        try:
            relpath = svc.nlu.locate(m.kind, m.name)
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
            result = await svc.nlu.change(p, relpath, edit, f"nlu_{op}", summary,
                                          {"kind": m.kind, "name": m.name, "example": m.text, "old": m.old})
        except nlu_files.EditError as exc:
            raise ApiError(422, "validation_failed", str(exc), errors=[str(exc)], warnings=[], stage="edit") from None
        return saved(result)

    @routes.post("/api/v1/trainer/nlu/examples")
    async def add_example(request: web.Request) -> web.Response:
        return await example_change(request, "add")

    @routes.put("/api/v1/trainer/nlu/examples")
    async def edit_example(request: web.Request) -> web.Response:
        return await example_change(request, "edit")

    @routes.delete("/api/v1/trainer/nlu/examples")
    async def delete_example(request: web.Request) -> web.Response:
        return await example_change(request, "delete")

    @routes.get("/api/v1/trainer/history")
    async def get_history(request: web.Request) -> web.Response:
        principal(ctx, request, TRAINERS + ("supervisor",))
        q: dict[str, Any] = {}
        if request.query.get("target"):
            q["target"] = request.query["target"]
        docs = await ctx.store.trainer_history.find(q, sort=[("ts", -1)], limit=100).to_list(None)
        return ok({"history": [history.wire(d) for d in docs]})

    @routes.post("/api/v1/trainer/train")
    async def train(request: web.Request) -> web.Response:
        p = principal(ctx, request)
        try:
            job = await svc.trainer.start(p)
        except TrainingBusy:
            raise ApiError(409, "training_busy", "已有训练任务在进行，请稍后再试。") from None
        await history.record(ctx.store, p, "train", job["id"], "启动训练并上线")
        return ok({"job": job}, status=202)

    @routes.get("/api/v1/trainer/train")
    async def jobs(request: web.Request) -> web.Response:
        principal(ctx, request)
        return ok({"jobs": await svc.trainer.recent()})

    @routes.get("/api/v1/trainer/train/{job_id}")
    async def job(request: web.Request) -> web.Response:
        principal(ctx, request)
        found = await svc.trainer.get(request.match_info["job_id"])
        if found is None:
            raise ApiError(404, "not_found")
        return ok({"job": found})

    @routes.post("/api/v1/trainer/parse")
    async def parse(request: web.Request) -> web.Response:
        principal(ctx, request)
        m = await body_of(request, ParseIn)
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as s:
                async with s.post(f"{ctx.settings.rasa_url}/model/parse", json={"text": m.text}) as r:
                    body = await r.json(content_type=None)
                async with s.get(f"{ctx.settings.rasa_url}/status") as r:
                    status = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise ApiError(503, "bot_unavailable", "机器人服务暂不可用。") from None
        ranking = [{"name": i.get("name"), "confidence": i.get("confidence")}
                   for i in (body.get("intent_ranking") or [])[:5]]
        entities = [{"entity": e.get("entity"), "value": e.get("value"), "text": m.text[e["start"]:e["end"]]
                     if "start" in e and "end" in e else None} for e in body.get("entities") or []]
        return ok({"text": m.text, "intent": body.get("intent"), "ranking": ranking, "entities": entities,
                   "model": str(status.get("model_file") or "").rsplit("/", 1)[-1]})

    app.router.add_routes(routes)

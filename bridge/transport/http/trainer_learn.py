"""HTTP routes of interactive learning (talk to the candidate model, correct it, keep the talk) and story tests."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.trainer import stories_model, story_tests
from bridge.trainer.learn import NoModel, model_for_learning
from bridge.trainer.stories_model import StoryError, clean
from bridge.transport.http.common import TRAINERS, app_context, ok, principal
from bridge.transport.http.models import Out, Records
from bridge.transport.http.trainer import DENIED, trainer_services
from bridge.transport.http.trainer_stories import NAME, NAME_RE, PLACING, REFUSED, placing_error, refused
from core.errors import ApiError
from core.http_routes import RouteTable, body
from core.pii import mask_pii

table = RouteTable("trainer-learn", denied=DENIED)
NO_MODEL = {409: "no candidate model and the live model's file is not available"}


class EntityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entity: str = Field(min_length=1, max_length=100, pattern=NAME_RE)
    value: str = Field(max_length=200)
    text: str = Field(default="", max_length=200)


class TurnIn(BaseModel):
    """One turn of a learning session: what the user said, the (corrected) intent, the bot's actions."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(default="", max_length=500)
    intent: str | None = Field(default=None, max_length=100, pattern=NAME_RE)
    entities: list[EntityIn] = Field(default_factory=list, max_length=10)
    actions: list[str] = Field(default_factory=list, max_length=10)

    def turn(self) -> dict[str, Any]:
        return {"text": mask_pii(clean(self.text)), "intent": self.intent or None,
                "entities": [{"entity": e.entity, "value": clean(e.value)} for e in self.entities],
                "actions": [a for a in self.actions if a]}


class LearnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    turns: list[TurnIn] = Field(default_factory=list, max_length=50)
    # at least one character that is neither a control character nor a space (those are dropped)
    text: str = Field(min_length=1, max_length=500, pattern=r"[^\s\x00-\x1f\x7f-\x9f]")
    intent: str | None = Field(default=None, max_length=100, pattern=NAME_RE, description="a corrected intent")
    entities: list[EntityIn] | None = Field(default=None, max_length=10, description="corrected entities")


class LearnSaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = NAME
    save_as: str = Field(default="test", pattern="^(story|test)$",
                         description="story: into data/stories.yml (validated); test: data/test_stories/learned.yml")
    turns: list[TurnIn] = Field(min_length=1, max_length=50)


class PredictionOut(Out):
    text: str
    intent: str | None
    ranking: Records
    entities: Records
    actions: Records
    model: str


class StoryTestsOut(Out):
    tests: Records
    last: dict[str, Any] | None


class StoryTestRunOut(Out):
    total: int
    passed: int
    failed: list[str]
    results: Records


@table.post("/api/v1/trainer/learn", summary="Interactive learning: the candidate model's reading of a sentence "
            "after the conversation so far, and its next actions", auth=TRAINERS, body=LearnIn,
            response=PredictionOut, errors={**NO_MODEL, 400: "nothing left once control characters are removed"})
async def learn(request: web.Request) -> web.Response:
    m = body(request, LearnIn)
    entities = None if m.entities is None else [{"entity": e.entity, "value": clean(e.value), "text": clean(e.text)}
                                                   for e in m.entities]
    text = clean(m.text)
    if not text:
        raise ApiError(400, "invalid_payload", "请输入一句话。")
    try:
        out = await trainer_services(request).learner.turn([t.turn() for t in m.turns], text, m.intent, entities)
    except NoModel:
        raise ApiError(409, "no_model", "还没有可用的模型，请先训练。") from None
    except RuntimeError as exc:
        raise ApiError(503, "bot_unavailable", f"模型运行失败：{exc}") from None
    return ok(out)


@table.post("/api/v1/trainer/learn/save", summary="Save a learning session as a story or a test story",
            auth=TRAINERS, body=LearnSaveIn, response=Out, errors={**PLACING, **REFUSED})
async def save(request: web.Request) -> web.Response:
    m = body(request, LearnSaveIn)
    svc = trainer_services(request).stories
    turns = [t.turn() for t in m.turns]
    story = {"name": clean(m.name), "steps": stories_model.steps_of(turns, with_user=m.save_as == "test")}
    try:
        if m.save_as == "test":
            result = await svc.save_test(principal(request), story)
        else:
            result = await svc.save(principal(request), "story", story)
    except StoryError as exc:
        raise placing_error(exc) from None
    return ok(refused(result))


@table.get("/api/v1/trainer/story-tests", summary="Test stories and the results of the last go-live check",
           auth=TRAINERS + ("supervisor",), response=StoryTestsOut)
async def tests(request: web.Request) -> web.Response:
    job = await app_context(request).store.trainer_jobs.find_one(
        {"evaluation.story_tests": {"$exists": True}}, {"evaluation": 1, "started_at": 1}, sort=[("started_at", -1)])
    last = dict(job["evaluation"]["story_tests"], job=job["_id"]) if job else None
    return ok({"tests": story_tests.cases(), "last": last})


@table.post("/api/v1/trainer/story-tests/run", summary="Run every test story with the candidate model now",
            auth=TRAINERS, response=StoryTestRunOut, errors=NO_MODEL)
async def run(request: web.Request) -> web.Response:
    try:
        model, which = await model_for_learning(app_context(request).settings)
    except NoModel:
        raise ApiError(409, "no_model", "还没有可用的模型，请先训练。") from None
    try:
        summary = await story_tests.run(trainer_services(request).worker, model)
    except RuntimeError as exc:
        raise ApiError(503, "bot_unavailable", str(exc)) from None
    return ok({**summary, "which": which})

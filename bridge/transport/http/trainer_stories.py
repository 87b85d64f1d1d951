"""HTTP routes of the trainer console's structured story editor: list, check, save, delete, diagram."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bridge.trainer import stories_graph
from bridge.trainer.stories_model import StoryError
from bridge.transport.http.common import TRAINERS, ok, principal
from bridge.transport.http.models import Out, Records
from bridge.transport.http.trainer import DENIED, trainer_services
from core.errors import ApiError
from core.http_routes import RouteTable, body

table = RouteTable("trainer-stories", denied=DENIED)
READERS = TRAINERS + ("supervisor",)
NAME = Field(min_length=1, max_length=120)
ID = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_\-./]*$")
KIND = Field(default="story", pattern="^(story|rule)$")
REFUSED = {422: "refused: error.findings places each problem on its step (step null: the story), "
                "error.other lists the project's other problems"}


class StepIn(BaseModel):
    """One step: exactly one of intent (with entities and, in test stories, the user's text), action,
    slot_was_set, active_loop (null ends the loop) or checkpoint."""

    model_config = ConfigDict(extra="forbid")
    intent: str | None = ID
    user: str | None = Field(default=None, max_length=500)
    entities: list[dict[str, str]] | None = Field(default=None, max_length=10)
    action: str | None = ID
    slot_was_set: list[dict[str, Any]] | None = Field(default=None, max_length=10)
    active_loop: str | None = Field(default=None, max_length=100)
    checkpoint: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def one_kind(self) -> StepIn:
        kinds = [k for k in ("intent", "action", "slot_was_set", "active_loop", "checkpoint")
                 if k in self.model_fields_set]
        if len(kinds) != 1:
            raise ValueError("a step has exactly one of intent, action, slot_was_set, active_loop, checkpoint")
        return self

    def step(self) -> dict[str, Any]:
        """The step as written to the YAML file."""
        out = self.model_dump(include=self.model_fields_set)
        return {k: v for k, v in out.items() if v is not None or k == "active_loop"}


class StoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = NAME
    steps: list[StepIn] = Field(default_factory=list, max_length=100)
    conversation_start: bool | None = None
    wait_for_user_input: bool | None = None
    condition: list[dict[str, Any]] | None = Field(default=None, max_length=10)

    def story(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name.strip()}
        out.update({k: getattr(self, k) for k in ("conversation_start", "wait_for_user_input", "condition")
                    if getattr(self, k) is not None})
        out["steps"] = [s.step() for s in self.steps]
        return out


class StoryChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = KIND
    story: StoryIn
    old_name: str | None = Field(default=None, max_length=120, description="the story's name before a rename")


class StoryDeleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = KIND
    name: str = NAME


class KindQuery(BaseModel):
    kind: str = Field(default="story", description="story or rule")


class StoriesOut(Out):
    stories: Records
    rules: Records
    tests: Records
    domain: dict[str, Any]


class CheckOut(Out):
    ok: bool
    findings: Records
    other: list[str]


class StoryChangeOut(Out):
    changed: bool


class GraphOut(Out):
    nodes: Records
    edges: Records


def refused(result: dict[str, Any]) -> dict[str, Any]:
    """The result of a saved story; ApiError 422 with its findings otherwise."""
    if result.get("changed") or result.get("ok"):
        return result
    findings = result.get("findings") or []
    raise ApiError(422, "validation_failed", "校验未通过，未保存。", findings=findings, other=result.get("other", []),
                   errors=[f["message"] for f in findings] + list(result.get("other", [])), stage=result.get("stage"))


@table.get("/api/v1/trainer/stories", summary="Stories, rules and test stories as steps, with the domain",
           auth=READERS, response=StoriesOut)
async def overview(request: web.Request) -> web.Response:
    return ok(trainer_services(request).stories.overview())


@table.post("/api/v1/trainer/stories/check", summary="Check a story or rule as it would be saved (nothing written)",
            auth=TRAINERS, body=StoryChangeIn, response=CheckOut, errors={400: "the story cannot be placed"})
async def check(request: web.Request) -> web.Response:
    m = body(request, StoryChangeIn)
    try:
        return ok(await trainer_services(request).stories.check(m.kind, m.story.story(), m.old_name))
    except StoryError as exc:
        raise ApiError(400, "invalid_story", str(exc)) from None


@table.put("/api/v1/trainer/stories", summary="Save a story or rule (validated; other items untouched)",
           auth=TRAINERS, body=StoryChangeIn, response=StoryChangeOut,
           errors={400: "the story cannot be placed (name taken, not found)", **REFUSED})
async def save(request: web.Request) -> web.Response:
    m = body(request, StoryChangeIn)
    try:
        result = await trainer_services(request).stories.save(principal(request), m.kind, m.story.story(), m.old_name)
    except StoryError as exc:
        raise ApiError(400, "invalid_story", str(exc)) from None
    return ok(refused(result))


@table.delete("/api/v1/trainer/stories", summary="Delete a story or rule (validated)", auth=TRAINERS,
              body=StoryDeleteIn, response=StoryChangeOut, errors={404: "no such story", **REFUSED})
async def delete(request: web.Request) -> web.Response:
    m = body(request, StoryDeleteIn)
    try:
        result = await trainer_services(request).stories.delete(principal(request), m.kind, m.name)
    except StoryError:
        raise ApiError(404, "not_found") from None
    if not (result.get("changed") or result.get("ok")):
        raise ApiError(422, "validation_failed", "校验未通过，未删除。", errors=result.get("errors", []),
                       findings=[], other=result.get("errors", []), stage=result.get("stage"))
    return ok(result)


@table.get("/api/v1/trainer/stories/graph", summary="The stories (or rules) as a graph of intents and actions",
           auth=READERS, query=KindQuery, response=GraphOut, errors={400: "unknown kind"})
async def graph(request: web.Request) -> web.Response:
    kind = request.query.get("kind", "story")
    if kind not in ("story", "rule"):
        raise ApiError(400, "invalid_payload", "kind 应为 story 或 rule。")
    data = trainer_services(request).stories.overview()
    return ok(stories_graph.graph(data["stories" if kind == "story" else "rules"]))

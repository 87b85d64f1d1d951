"""HTTP routes of the trainer console's structured story editor: list, check, save, delete, diagram."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.trainer import stories_graph
from bridge.trainer.stories_model import StoryError, StoryNotFound, clean
from bridge.transport.http.common import TRAINERS, ok, principal
from bridge.transport.http.models import Out, Records
from bridge.transport.http.trainer import DENIED, trainer_services
from core.errors import ApiError
from core.http_routes import RouteTable, body
from core.pii import mask_pii

table = RouteTable("trainer-stories", denied=DENIED)
READERS = TRAINERS + ("supervisor",)
NAME = Field(min_length=1, max_length=120)
NAME_RE = r"^[A-Za-z0-9_\-./]*$"  # intents and actions (empty: not chosen yet)
KIND = Field(default="story", pattern="^(story|rule)$")
PLACING = {404: "the story to replace is not in the file (any more)",
           409: "the new name is another story's, or the file has items that cannot be placed by line"}
REFUSED = {422: "refused: error.findings places each problem on its step (step null: the story), "
                "error.other lists the project's other problems"}


class IntentStep(BaseModel):
    """The user's turn: an intent, its entities and (in test stories) what the user typed."""

    model_config = ConfigDict(extra="forbid")
    intent: str = Field(max_length=100, pattern=NAME_RE)
    user: str | None = Field(default=None, max_length=500)
    entities: list[dict[str, str]] | None = Field(default=None, max_length=10)


class ActionStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(max_length=100, pattern=NAME_RE)


class SlotStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slot_was_set: list[dict[str, Any]] = Field(max_length=10)


class LoopStep(BaseModel):
    """A form loop becoming active (null: the loop ends)."""

    model_config = ConfigDict(extra="forbid")
    active_loop: str | None = Field(max_length=100)


class CheckpointStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checkpoint: str = Field(max_length=100)


Step = IntentStep | ActionStep | SlotStep | LoopStep | CheckpointStep


def step_of(step: Step) -> dict[str, Any]:
    """The step as written to the YAML file (optional parts left out when not given)."""
    out = clean(step.model_dump(exclude_none=True))
    if isinstance(step, LoopStep):
        out["active_loop"] = clean(step.active_loop)
    if out.get("user"):
        out["user"] = mask_pii(out["user"])  # what a citizen typed is kept masked, as in the NLU data
    return out


class StoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = NAME
    steps: list[Step] = Field(default_factory=list, max_length=100)
    conversation_start: bool | None = None
    wait_for_user_input: bool | None = None
    condition: list[dict[str, Any]] | None = Field(default=None, max_length=10)

    def story(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": clean(self.name)}
        out.update({k: clean(v) for k in ("conversation_start", "wait_for_user_input", "condition")
                    if (v := getattr(self, k)) is not None})
        out["steps"] = [step_of(s) for s in self.steps]
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


class StoryMoveIn(StoryDeleteIn):
    by: Literal[-1, 1] = Field(description="-1: one place up, 1: one place down")


class KindQuery(BaseModel):
    kind: Literal["story", "rule"] = "story"


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


def placing_error(exc: StoryError) -> ApiError:
    """404 for a story that is gone, 409 for a name taken (or a file that cannot be edited by item)."""
    if isinstance(exc, StoryNotFound):
        return ApiError(404, "not_found", str(exc))
    return ApiError(409, "story_conflict", str(exc))


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
            auth=TRAINERS, body=StoryChangeIn, response=CheckOut, errors=PLACING)
async def check(request: web.Request) -> web.Response:
    m = body(request, StoryChangeIn)
    try:
        return ok(await trainer_services(request).stories.check(m.kind, m.story.story(), m.old_name))
    except StoryError as exc:
        raise placing_error(exc) from None


@table.put("/api/v1/trainer/stories", summary="Save a story or rule (validated; other items untouched)",
           auth=TRAINERS, body=StoryChangeIn, response=StoryChangeOut,
           errors={**PLACING, **REFUSED})
async def save(request: web.Request) -> web.Response:
    m = body(request, StoryChangeIn)
    try:
        result = await trainer_services(request).stories.save(principal(request), m.kind, m.story.story(), m.old_name)
    except StoryError as exc:
        raise placing_error(exc) from None
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


@table.post("/api/v1/trainer/stories/move", summary="Move a story or rule one place up or down in its file",
            auth=TRAINERS, body=StoryMoveIn, response=StoryChangeOut, errors={**PLACING, **REFUSED})
async def move(request: web.Request) -> web.Response:
    m = body(request, StoryMoveIn)
    try:
        result = await trainer_services(request).stories.move(principal(request), m.kind, m.name, m.by)
    except StoryError as exc:
        raise placing_error(exc) from None
    return ok(refused({**result, "other": result.get("errors", [])}))


@table.get("/api/v1/trainer/stories/graph", summary="The stories (or rules) as a graph of intents and actions",
           auth=READERS, query=KindQuery, response=GraphOut, errors={400: "unknown kind"})
async def graph(request: web.Request) -> web.Response:
    kind = request.query.get("kind", "story")
    if kind not in ("story", "rule"):
        raise ApiError(400, "invalid_payload", "kind 应为 story 或 rule。")
    data = trainer_services(request).stories.overview()
    return ok(stories_graph.graph(data["stories" if kind == "story" else "rules"]))

"""HTTP routes of conversation review (对话回顾): real bot conversations turned into training data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.domain.scope import record_filter
from bridge.trainer.nlu_files import EditError
from bridge.trainer.review_turns import OUTCOMES
from bridge.transport.http.common import TRAINERS, app_context, ok, parse_date, principal
from bridge.transport.http.models import MatterQuery, Out, Records
from bridge.transport.http.trainer import DENIED, trainer_services, validated
from bridge.transport.http.trainer_kb import READERS
from bridge.transport.http.trainer_review import DraftOut
from core.audit import audit_read
from core.errors import ApiError
from core.http_routes import RouteTable, body

table = RouteTable("trainer-convs", denied=DENIED)
OUTCOME_RE = "^(" + "|".join(OUTCOMES) + ")?$"
UNKNOWN = {404: "unknown conversation (or outside the caller's scope)"}
CLAIMED = {**UNKNOWN, 409: "another trainer reviews it, or the caller has not claimed it"}


class ReviewQuery(MatterQuery):
    since: str = Field(default="", description="YYYY-MM-DD, first day (Asia/Shanghai)",
                       json_schema_extra={"format": "date"})
    until: str = Field(default="", description="YYYY-MM-DD, last day (Asia/Shanghai)",
                       json_schema_extra={"format": "date"})
    outcome: str = Field(default="", pattern=OUTCOME_RE, description="one of " + ", ".join(OUTCOMES))


class CorrectIn(BaseModel):
    """A reviewed NLU example from a turn: its intent, and the matter with the phrase that names it."""

    model_config = ConfigDict(extra="forbid")
    seq: int = Field(ge=1)
    intent: str = Field(min_length=1, max_length=100)
    matter: str | None = Field(default=None, max_length=64)
    phrase: str | None = Field(default=None, max_length=30)


class WrongAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seq: int = Field(ge=1)
    article_id: str | None = Field(default=None, max_length=120)
    answer: str | None = Field(default=None, max_length=2000)


class TestStoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seqs: list[int] = Field(min_length=1, max_length=30)
    intents: dict[str, str] = Field(default_factory=dict, description="seq -> corrected intent")


class ReviewsOut(Out):
    conversations: Records


class TestStoryOut(Out):
    file: str
    story: dict[str, Any]


class ReviewDetailOut(Out):
    """Turns (each with the bot's reading and answers), outcomes, rating and review state."""

    conversation: dict[str, Any]


class ClaimOut(Out):
    """The review state: claimed or done, by whom, when, and the actions taken."""

    review: dict[str, Any]


def _period(request: web.Request) -> tuple[dt.datetime | None, dt.datetime | None]:
    since = parse_date(request.query.get("since"), "since")
    until = parse_date(request.query.get("until"), "until")
    return since, (until + dt.timedelta(days=1) if until else None)


async def scoped_conversation(request: web.Request) -> dict[str, Any]:
    """The conversation of the path, when it is in the caller's department scope."""
    q = {"_id": request.match_info["cid"], **record_filter(principal(request))}
    conv = await app_context(request).store.conversations.find_one(q)
    if conv is None:
        raise ApiError(404, "not_found")
    return conv


@table.get("/api/v1/trainer/reviews", summary="Bot conversations to review, by period, matter and outcome",
           auth=READERS, query=ReviewQuery, response=ReviewsOut)
async def reviews(request: web.Request) -> web.Response:
    outcome = request.query.get("outcome") or None
    if outcome and outcome not in OUTCOMES:
        raise ApiError(400, "invalid_payload", "outcome 取值无效。")
    since, until = _period(request)
    p = principal(request)
    rows = await trainer_services(request).review.list(record_filter(p, request.query.get("department")), since,
                                                       until, request.query.get("matter") or None, outcome)
    return ok({"conversations": rows})


@table.get("/api/v1/trainer/reviews/{cid}", summary="One bot conversation turn by turn (masked)", auth=READERS,
           response=ReviewDetailOut, errors=UNKNOWN)
async def review_detail(request: web.Request) -> web.Response:
    conv = await scoped_conversation(request)
    await audit_read(app_context(request).store.audit, principal(request), "review", conv["_id"],
                     user_id=conv["user"]["id"])
    return ok({"conversation": await trainer_services(request).review.detail(conv)})


@table.post("/api/v1/trainer/reviews/{cid}/claim", summary="Claim a conversation for review", auth=TRAINERS,
            response=ClaimOut, errors={**UNKNOWN, 409: "another trainer reviews it"})
async def claim(request: web.Request) -> web.Response:
    conv = await scoped_conversation(request)
    return ok({"review": await trainer_services(request).review.claim(conv["_id"], principal(request))})


@table.post("/api/v1/trainer/reviews/{cid}/done", summary="Mark the claimed conversation reviewed", auth=TRAINERS,
            response=ClaimOut, errors={**UNKNOWN, 409: "not claimed by the caller"})
async def done(request: web.Request) -> web.Response:
    conv = await scoped_conversation(request)
    return ok({"review": await trainer_services(request).review.finish(conv["_id"], principal(request))})


@table.post("/api/v1/trainer/reviews/{cid}/nlu", summary="Correct a turn's intent and matter: a reviewed NLU example",
            auth=TRAINERS, body=CorrectIn,
            errors={**CLAIMED, 422: "the example does not validate: error.errors lists why"})
async def correct(request: web.Request) -> web.Response:
    conv = await scoped_conversation(request)
    m = body(request, CorrectIn)
    try:
        res = await trainer_services(request).review.correct(conv, m.seq, principal(request), m.intent, m.matter,
                                                             m.phrase)
    except EditError as exc:
        raise ApiError(422, "validation_failed", str(exc), errors=[str(exc)]) from None
    return ok(validated(res))


@table.post("/api/v1/trainer/reviews/{cid}/draft", summary="Mark a turn's answer wrong: a draft for the KB queue",
            auth=TRAINERS, body=WrongAnswerIn, response=DraftOut, errors=CLAIMED)
async def wrong_answer(request: web.Request) -> web.Response:
    conv = await scoped_conversation(request)
    m = body(request, WrongAnswerIn)
    draft = await trainer_services(request).review.wrong_answer(conv, m.seq, principal(request), m.article_id,
                                                                m.answer)
    return ok({"draft": {"id": draft["_id"], "status": draft["status"], "matter": draft["matter"],
                         "question": draft["question"], "answer": draft["answer"],
                         "article_id": draft["article_id"]}})


@table.post("/api/v1/trainer/reviews/{cid}/test-story", summary="Save turns as a test conversation (Rasa test story)",
            auth=TRAINERS, body=TestStoryIn, response=TestStoryOut, errors=CLAIMED)
async def test_story(request: web.Request) -> web.Response:
    conv = await scoped_conversation(request)
    m = body(request, TestStoryIn)
    intents = {}
    for k, v in m.intents.items():
        if not k.isdigit():
            raise ApiError(400, "invalid_payload", "intents 的键应为消息序号。")
        intents[int(k)] = v
    try:
        res = await trainer_services(request).review.save_test(conv, m.seqs, principal(request), intents)
    except EditError as exc:
        raise ApiError(400, "invalid_payload", str(exc)) from None
    return ok(res)

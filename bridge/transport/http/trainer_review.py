"""HTTP routes of the trainer console: the drafts review queue and the unanswered questions."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.domain.scope import record_filter
from bridge.domain.unanswered import is_overdue
from bridge.trainer import history
from bridge.trainer.kb_edit import KbEditError, today
from bridge.trainer.nlu_files import EditError
from bridge.transport.http.common import TRAINERS, app_context, ok, principal
from bridge.transport.http.models import MatterQuery, OkOut, Out, Records
from bridge.transport.http.trainer import DENIED, trainer_services
from bridge.transport.http.trainer_kb import DAY_RE, INVALID_ARTICLE, READERS
from core.clock import iso, now
from core.errors import ApiError
from core.http_routes import RouteTable, body

table = RouteTable("trainer-review", denied=DENIED)
DRAFT_DONE = {404: "unknown draft", 409: "the draft was already handled"}
QUESTION_DONE = {404: "unknown question", 409: "the question was already handled"}
PUBLISH_ERRORS = {422: "the article does not validate"}


class DraftEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str | None = Field(default=None, max_length=500)
    answer: str | None = Field(default=None, max_length=4000)
    matter: str | None = Field(default=None, max_length=64)


class ApproveIn(BaseModel):
    """Publish a draft or an unanswered question as a new FAQ (mode new) or into an existing article."""

    model_config = ConfigDict(extra="forbid")
    matter: str = Field(min_length=1, max_length=64)
    question: str = Field(min_length=1, max_length=500)
    answer: str = Field(min_length=1, max_length=2000)
    title: str | None = Field(default=None, max_length=200)
    mode: str = Field(default="new", pattern="^(new|append)$")
    article_id: str | None = Field(default=None, max_length=120)
    intent: str | None = Field(default="ask_matter", max_length=100)
    policy_effective_date: str | None = Field(default=None, pattern=DAY_RE)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)


class DraftsQuery(BaseModel):
    status: str = Field(default="pending", description="pending, approved or rejected")
    department: str = Field(default="", description="narrows to one department of the caller's scope")


class UnansweredQuery(MatterQuery):
    status: str = Field(default="open", description="open, answered or dismissed")
    overdue: str = Field(default="", description="1 or true: only overdue questions")


class DraftsOut(Out):
    drafts: Records


class DraftOut(Out):
    draft: dict[str, Any]


class PublishedOut(Out):
    article: dict[str, Any]
    nlu: dict[str, Any]


class UnansweredOut(Out):
    unanswered: Records
    today: str


class FlaggedOut(Out):
    flagged: int
    alerts: Records


def draft_wire(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": d["_id"], "status": d["status"], "matter": d.get("matter"), "department": d.get("department"),
            "question": d.get("question", ""), "answer": d.get("answer", ""),
            "agent_answers": d.get("agent_answers", []), "conversation_id": d.get("conversation_id"),
            "agent": d.get("agent"), "created_at": iso(d.get("created_at")), "article_id": d.get("article_id"),
            "reviewed_by": d.get("reviewed_by"), "reviewed_at": iso(d.get("reviewed_at")),
            "source": d.get("source"), "hotline": d.get("hotline")}


def unanswered_wire(d: dict[str, Any], day) -> dict[str, Any]:
    return {"id": d["_id"], "question": d["question"], "matter": d.get("matter"), "department": d.get("department"),
            "count": d.get("count", 1), "variants": d.get("variants", []), "status": d.get("status"),
            "deadline": d.get("deadline"), "overdue": is_overdue(d, day),
            "first_asked": iso(d.get("first_asked")), "last_asked": iso(d.get("last_asked")),
            "answered_at": iso(d.get("answered_at")), "article_id": d.get("article_id"),
            "overdue_flagged": bool(d.get("overdue_flagged_at"))}


def approval(request: web.Request) -> ApproveIn:
    """The declared ApproveIn body, its matter checked against the catalogue."""
    m = body(request, ApproveIn)
    if m.matter not in app_context(request).catalogue.matters:
        raise ApiError(400, "unknown_matter")
    return m


async def article_data(request: web.Request, m: ApproveIn, why: str) -> dict[str, Any]:
    """The article to publish: a new FAQ, or the existing article with the answer appended as a step."""
    if m.mode == "append":
        current = await app_context(request).store.kb_articles.find_one({"_id": m.article_id or ""})
        if current is None:
            raise ApiError(404, "not_found", "要补充的文章不存在。")
        data = {**current, "id": current["_id"], "steps": [*current.get("steps", []), f"{m.question}：{m.answer}"],
                "policy_effective_date": m.policy_effective_date}
    else:
        data = {"id": None, "matter": m.matter, "aspect": "faq", "title": m.title or m.question[:60],
                "question": m.question, "answer": m.answer, "steps": [], "source": f"帮办人工答复（{why}）",
                "policy_effective_date": m.policy_effective_date}
    return {k: data.get(k) for k in ("id", "matter", "aspect", "title", "question", "answer", "steps", "source",
                                     "policy_effective_date")}


async def publish_answer(request: web.Request, m: ApproveIn, why: str) -> dict[str, Any]:
    """Publish the answer as an article and add the question to the NLU examples of `m.intent`."""
    svc = trainer_services(request)
    p = principal(request)
    try:
        published = await svc.kb.save(p, await article_data(request, m, why), publish=True)
    except KbEditError as exc:
        raise ApiError(422, "validation_failed", INVALID_ARTICLE, errors=exc.problems) from None
    nlu: dict[str, Any] = {"changed": False, "errors": []}
    if m.intent:
        try:
            nlu = await svc.nlu.add_example(p, m.intent, m.question, why)
        except EditError as exc:
            nlu = {"changed": False, "errors": [str(exc)]}
    return {"article": published["article"], "applied": published["applied"], "warning": published["warning"],
            "nlu": {"changed": nlu.get("changed", False), "errors": nlu.get("errors", [])}}


async def pending_draft(request: web.Request) -> dict[str, Any]:
    d = await app_context(request).store.kb_drafts.find_one({"_id": request.match_info["did"]})
    if d is None:
        raise ApiError(404, "not_found")
    if d["status"] != "pending":
        raise ApiError(409, "invalid_state", "该草稿已处理。")
    return d


async def open_question(request: web.Request) -> dict[str, Any]:
    d = await app_context(request).store.unanswered.find_one({"_id": request.match_info["uid"]})
    if d is None:
        raise ApiError(404, "not_found")
    if d.get("status") != "open":
        raise ApiError(409, "invalid_state", "该问题已处理。")
    return d


def reviewer(request: web.Request) -> dict[str, str]:
    p = principal(request)
    return {"id": p.id, "name": p.name}


@table.get("/api/v1/trainer/drafts", summary="Drafts review queue", auth=READERS, query=DraftsQuery,
           response=DraftsOut)
async def drafts(request: web.Request) -> web.Response:
    q = {"status": request.query.get("status") or "pending",
         **record_filter(principal(request), request.query.get("department"))}
    docs = await app_context(request).store.kb_drafts.find(q, sort=[("created_at", 1)], limit=200).to_list(None)
    return ok({"drafts": [draft_wire(d) for d in docs]})


@table.put("/api/v1/trainer/drafts/{did}", summary="Edit a pending draft", auth=TRAINERS, body=DraftEditIn,
           response=DraftOut, errors=DRAFT_DONE)
async def edit_draft(request: web.Request) -> web.Response:
    ctx = app_context(request)
    d = await pending_draft(request)
    changes = {k: v for k, v in body(request, DraftEditIn).model_dump().items() if v is not None}
    if changes.get("matter") and changes["matter"] not in ctx.catalogue.matters:
        raise ApiError(400, "unknown_matter")
    await ctx.store.kb_drafts.update_one({"_id": d["_id"]}, {"$set": {**changes,
                                                                       "edited_by": principal(request).id}})
    return ok({"draft": draft_wire({**d, **changes})})


@table.post("/api/v1/trainer/drafts/{did}/approve", summary="Approve: publish the article and an NLU example",
            auth=TRAINERS, body=ApproveIn, response=PublishedOut, errors={**DRAFT_DONE, **PUBLISH_ERRORS})
async def approve(request: web.Request) -> web.Response:
    d = await pending_draft(request)
    m = approval(request)
    res = await publish_answer(request, m, f"会话{d.get('conversation_id', '')[:8]}")
    await app_context(request).store.kb_drafts.update_one({"_id": d["_id"]}, {"$set": {
        "status": "approved", "article_id": res["article"]["id"], "question": m.question, "answer": m.answer,
        "matter": m.matter, "reviewed_by": reviewer(request), "reviewed_at": now()}})
    return ok(res)


@table.post("/api/v1/trainer/drafts/{did}/reject", summary="Reject a draft", auth=TRAINERS, body=RejectIn,
            response=OkOut, errors=DRAFT_DONE)
async def reject(request: web.Request) -> web.Response:
    ctx = app_context(request)
    d = await pending_draft(request)
    await ctx.store.kb_drafts.update_one({"_id": d["_id"]}, {"$set": {
        "status": "rejected", "reject_reason": body(request, RejectIn).reason, "reviewed_by": reviewer(request),
        "reviewed_at": now()}})
    await history.record(ctx.store, principal(request), "draft_reject", d["_id"],
                         f"退回草稿：{d.get('question', '')[:40]}")
    return ok({"ok": True})


@table.get("/api/v1/trainer/unanswered", summary="Unanswered questions with deadlines", auth=READERS,
           query=UnansweredQuery, response=UnansweredOut)
async def unanswered(request: web.Request) -> web.Response:
    p = principal(request)
    q: dict[str, Any] = {"status": request.query.get("status") or "open",
                         **record_filter(p, request.query.get("department"))}
    if request.query.get("matter"):
        q["matter"] = request.query["matter"]
    docs = await app_context(request).store.unanswered.find(q, sort=[("deadline", 1), ("count", -1)],
                                                            limit=500).to_list(None)
    day = today()
    out = [unanswered_wire(d, day) for d in docs]
    if request.query.get("overdue") in ("1", "true"):
        out = [x for x in out if x["overdue"]]
    return ok({"unanswered": out, "today": day.isoformat()})


@table.post("/api/v1/trainer/unanswered/{uid}/answer", summary="Answer a question into the knowledge base",
            auth=TRAINERS, body=ApproveIn, response=PublishedOut, errors={**QUESTION_DONE, **PUBLISH_ERRORS})
async def answer(request: web.Request) -> web.Response:
    d = await open_question(request)
    res = await publish_answer(request, approval(request), "未答问题")
    await app_context(request).store.unanswered.update_one({"_id": d["_id"]}, {"$set": {
        "status": "answered", "answered_at": now(), "answered_by": reviewer(request),
        "article_id": res["article"]["id"]}})
    return ok(res)


@table.post("/api/v1/trainer/unanswered/{uid}/dismiss", summary="Dismiss (not a question)", auth=TRAINERS,
            body=RejectIn, response=OkOut, errors=QUESTION_DONE)
async def dismiss(request: web.Request) -> web.Response:
    d = await open_question(request)
    await app_context(request).store.unanswered.update_one({"_id": d["_id"]}, {"$set": {
        "status": "dismissed", "dismissed_at": now(), "dismiss_reason": body(request, RejectIn).reason,
        "answered_by": reviewer(request)}})
    return ok({"ok": True})


@table.post("/api/v1/trainer/unanswered/flag-overdue", summary="Flag overdue questions to supervisors",
            auth=READERS, response=FlaggedOut)
async def flag_overdue(request: web.Request) -> web.Response:
    ctx = app_context(request)
    alerts = await ctx.unanswered.flag_overdue(ctx.delivery)
    return ok({"flagged": len(alerts), "alerts": alerts})

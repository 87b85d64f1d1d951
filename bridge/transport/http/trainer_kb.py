"""HTTP routes: knowledge-base articles, the drafts review queue and the unanswered questions."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.domain.unanswered import is_overdue
from bridge.trainer import history
from bridge.trainer.kb_edit import KbEditError, today
from bridge.trainer.nlu_files import EditError
from bridge.trainer.services import TrainerServices
from bridge.transport.http.api import body_of, ok
from bridge.transport.http.trainer_nlu import TRAINERS, principal
from core.clock import iso, now
from core.errors import ApiError
from kb.loader import ASPECTS
from kb.versions import parse_day, publish_by

READERS = TRAINERS + ("supervisor",)
ASPECT_RE = "^(" + "|".join(ASPECTS) + ")$"


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, max_length=120)
    matter: str | None = Field(default=None, max_length=64)
    aspect: str = Field(pattern=ASPECT_RE)
    title: str = Field(min_length=1, max_length=200)
    question: str = Field(default="", max_length=500)
    answer: str = Field(min_length=1, max_length=2000)
    steps: list[str] = Field(default_factory=list, max_length=50)
    source: str = Field(default="", max_length=500)
    policy_effective_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    publish: bool = True
    note: str = Field(default="", max_length=500)


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
    policy_effective_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)


def draft_wire(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": d["_id"], "status": d["status"], "matter": d.get("matter"), "department": d.get("department"),
            "question": d.get("question", ""), "answer": d.get("answer", ""),
            "agent_answers": d.get("agent_answers", []), "conversation_id": d.get("conversation_id"),
            "agent": d.get("agent"), "created_at": iso(d.get("created_at")), "article_id": d.get("article_id"),
            "reviewed_by": d.get("reviewed_by"), "reviewed_at": iso(d.get("reviewed_at"))}


def unanswered_wire(d: dict[str, Any], day) -> dict[str, Any]:
    return {"id": d["_id"], "question": d["question"], "matter": d.get("matter"), "department": d.get("department"),
            "count": d.get("count", 1), "variants": d.get("variants", []), "status": d.get("status"),
            "deadline": d.get("deadline"), "overdue": is_overdue(d, day),
            "first_asked": iso(d.get("first_asked")), "last_asked": iso(d.get("last_asked")),
            "answered_at": iso(d.get("answered_at")), "article_id": d.get("article_id"),
            "overdue_flagged": bool(d.get("overdue_flagged_at"))}


def setup(app: web.Application, ctx, svc: TrainerServices) -> None:
    routes = web.RouteTableDef()

    async def publish_answer(p, m: ApproveIn, why: str) -> dict[str, Any]:
        """Publish the answer as an article and add the question to the NLU examples of `m.intent`."""
        if m.mode == "append":
            current = await ctx.store.kb_articles.find_one({"_id": m.article_id or ""})
            if current is None:
                raise ApiError(404, "not_found", "要补充的文章不存在。")
            data = {**current, "id": current["_id"], "steps": [*current.get("steps", []), f"{m.question}：{m.answer}"],
                    "policy_effective_date": m.policy_effective_date}
        else:
            data = {"id": None, "matter": m.matter, "aspect": "faq", "title": m.title or m.question[:60],
                    "question": m.question, "answer": m.answer, "steps": [], "source": f"帮办人工答复（{why}）",
                    "policy_effective_date": m.policy_effective_date}
        data = {k: data.get(k) for k in ("id", "matter", "aspect", "title", "question", "answer", "steps", "source",
                                         "policy_effective_date")}
        try:
            published = await svc.kb.save(p, data, publish=True)
        except KbEditError as exc:
            raise ApiError(422, "validation_failed", "知识库文章校验未通过。", errors=exc.problems) from None
        nlu: dict[str, Any] = {"changed": False, "errors": []}
        if m.intent:
            try:
                nlu = await svc.nlu.add_example(p, m.intent, m.question, why)
            except EditError as exc:
                nlu = {"changed": False, "errors": [str(exc)]}
        return {"article": published["article"], "applied": published["applied"], "warning": published["warning"],
                "nlu": {"changed": nlu.get("changed", False), "errors": nlu.get("errors", [])}}

    # --- KB articles ---------------------------------------------------------
    @routes.get("/api/v1/trainer/kb/matters")
    async def matters(request: web.Request) -> web.Response:
        principal(ctx, request, READERS)
        counts = {d["_id"]: d["n"] for d in await ctx.store.kb_articles.aggregate(
            [{"$group": {"_id": "$matter", "n": {"$sum": 1}}}]).to_list(None)}
        out = [{"id": m.id, "name": m.name, "department": m.department, "articles": counts.get(m.id, 0)}
               for m in ctx.catalogue.matters.values()]
        out.append({"id": None, "name": "平台技术问题", "department": "bigdata-center",
                    "articles": counts.get(None, 0)})
        return ok({"matters": out})

    @routes.get("/api/v1/trainer/kb/articles")
    async def articles(request: web.Request) -> web.Response:
        principal(ctx, request, READERS)
        return ok(await svc.kb.list(request.query.get("matter") or None))

    @routes.post("/api/v1/trainer/kb/articles")
    async def save_article(request: web.Request) -> web.Response:
        p = principal(ctx, request)
        m = await body_of(request, ArticleIn)
        try:
            res = await svc.kb.save(p, m.model_dump(exclude={"publish"}), publish=m.publish)
        except KbEditError as exc:
            raise ApiError(422, "validation_failed", "知识库文章校验未通过。", errors=exc.problems) from None
        except FileNotFoundError:
            raise ApiError(404, "unknown_matter") from None
        return ok(res)

    @routes.get("/api/v1/trainer/kb/articles/{aid}/versions")
    async def versions(request: web.Request) -> web.Response:
        principal(ctx, request, READERS)
        return ok({"versions": await svc.kb.versions(request.match_info["aid"])})

    @routes.get("/api/v1/trainer/kb/publish-check")
    async def publish_check(request: web.Request) -> web.Response:
        principal(ctx, request, READERS)
        day = parse_day(request.query.get("policy_effective_date"))
        if day is None:
            raise ApiError(400, "invalid_payload", "policy_effective_date 格式应为 YYYY-MM-DD。")
        last = publish_by(day)
        return ok({"policy_effective_date": day.isoformat(), "publish_by": last.isoformat(),
                   "possible": today() <= last})

    # --- drafts --------------------------------------------------------------
    @routes.get("/api/v1/trainer/drafts")
    async def drafts(request: web.Request) -> web.Response:
        principal(ctx, request, READERS)
        status = request.query.get("status") or "pending"
        docs = await ctx.store.kb_drafts.find({"status": status}, sort=[("created_at", 1)], limit=200).to_list(None)
        return ok({"drafts": [draft_wire(d) for d in docs]})

    async def pending_draft(did: str) -> dict[str, Any]:
        d = await ctx.store.kb_drafts.find_one({"_id": did})
        if d is None:
            raise ApiError(404, "not_found")
        if d["status"] != "pending":
            raise ApiError(409, "invalid_state", "该草稿已处理。")
        return d

    @routes.put("/api/v1/trainer/drafts/{did}")
    async def edit_draft(request: web.Request) -> web.Response:
        p = principal(ctx, request)
        d = await pending_draft(request.match_info["did"])
        m = await body_of(request, DraftEditIn)
        changes = {k: v for k, v in m.model_dump().items() if v is not None}
        if changes.get("matter") and changes["matter"] not in ctx.catalogue.matters:
            raise ApiError(400, "unknown_matter")
        await ctx.store.kb_drafts.update_one({"_id": d["_id"]}, {"$set": {**changes, "edited_by": p.id}})
        return ok({"draft": draft_wire({**d, **changes})})

    @routes.post("/api/v1/trainer/drafts/{did}/approve")
    async def approve(request: web.Request) -> web.Response:
        p = principal(ctx, request)
        d = await pending_draft(request.match_info["did"])
        m = await body_of(request, ApproveIn)
        if m.matter not in ctx.catalogue.matters:
            raise ApiError(400, "unknown_matter")
        res = await publish_answer(p, m, f"会话{d.get('conversation_id', '')[:8]}")
        await ctx.store.kb_drafts.update_one({"_id": d["_id"]}, {"$set": {
            "status": "approved", "article_id": res["article"]["id"], "question": m.question, "answer": m.answer,
            "matter": m.matter, "reviewed_by": {"id": p.id, "name": p.name}, "reviewed_at": now()}})
        return ok(res)

    @routes.post("/api/v1/trainer/drafts/{did}/reject")
    async def reject(request: web.Request) -> web.Response:
        p = principal(ctx, request)
        d = await pending_draft(request.match_info["did"])
        m = await body_of(request, RejectIn)
        await ctx.store.kb_drafts.update_one({"_id": d["_id"]}, {"$set": {
            "status": "rejected", "reject_reason": m.reason, "reviewed_by": {"id": p.id, "name": p.name},
            "reviewed_at": now()}})
        await history.record(ctx.store, p, "draft_reject", d["_id"], f"退回草稿：{d.get('question', '')[:40]}")
        return ok({"ok": True})

    # --- unanswered questions ------------------------------------------------
    @routes.get("/api/v1/trainer/unanswered")
    async def unanswered(request: web.Request) -> web.Response:
        p = principal(ctx, request, READERS)
        q: dict[str, Any] = {"status": request.query.get("status") or "open"}
        if p.role == "supervisor" and "*" not in p.departments:
            q["department"] = {"$in": list(p.departments)}
        for key in ("matter", "department"):
            if request.query.get(key):
                q[key] = request.query[key]
        docs = await ctx.store.unanswered.find(q, sort=[("deadline", 1), ("count", -1)], limit=500).to_list(None)
        day = today()
        out = [unanswered_wire(d, day) for d in docs]
        if request.query.get("overdue") in ("1", "true"):
            out = [x for x in out if x["overdue"]]
        return ok({"unanswered": out, "today": day.isoformat()})

    async def open_entry(uid: str) -> dict[str, Any]:
        d = await ctx.store.unanswered.find_one({"_id": uid})
        if d is None:
            raise ApiError(404, "not_found")
        if d.get("status") != "open":
            raise ApiError(409, "invalid_state", "该问题已处理。")
        return d

    @routes.post("/api/v1/trainer/unanswered/{uid}/answer")
    async def answer(request: web.Request) -> web.Response:
        p = principal(ctx, request)
        d = await open_entry(request.match_info["uid"])
        m = await body_of(request, ApproveIn)
        if m.matter not in ctx.catalogue.matters:
            raise ApiError(400, "unknown_matter")
        res = await publish_answer(p, m, "未答问题")
        await ctx.store.unanswered.update_one({"_id": d["_id"]}, {"$set": {
            "status": "answered", "answered_at": now(), "answered_by": {"id": p.id, "name": p.name},
            "article_id": res["article"]["id"]}})
        return ok(res)

    @routes.post("/api/v1/trainer/unanswered/{uid}/dismiss")
    async def dismiss(request: web.Request) -> web.Response:
        p = principal(ctx, request)
        d = await open_entry(request.match_info["uid"])
        m = await body_of(request, RejectIn)
        await ctx.store.unanswered.update_one({"_id": d["_id"]}, {"$set": {
            "status": "dismissed", "dismissed_at": now(), "dismiss_reason": m.reason,
            "answered_by": {"id": p.id, "name": p.name}}})
        return ok({"ok": True})

    @routes.post("/api/v1/trainer/unanswered/flag-overdue")
    async def flag_overdue(request: web.Request) -> web.Response:
        principal(ctx, request, READERS)
        alerts = await ctx.unanswered.flag_overdue(ctx.delivery)
        return ok({"flagged": len(alerts), "alerts": alerts})

    app.router.add_routes(routes)

"""HTTP routes of the trainer console: knowledge-base articles, their versions and publish days."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.trainer.kb_edit import KbEditError, today
from bridge.transport.http.common import TRAINERS, app_context, ok, principal
from bridge.transport.http.models import Out, Records
from bridge.transport.http.trainer import DENIED, trainer_services
from core.errors import ApiError
from core.http_routes import RouteTable, body
from kb.loader import ASPECTS
from kb.versions import parse_day, publish_by

table = RouteTable("trainer-kb", denied=DENIED)
READERS = TRAINERS + ("supervisor",)
ASPECT_RE = "^(" + "|".join(ASPECTS) + ")$"
DAY_RE = r"^\d{4}-\d{2}-\d{2}$"
INVALID_ARTICLE = "知识库文章校验未通过。"


class VideoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    media: str = Field(pattern=r"^[0-9a-f]{32}$", description="a video guide's id (POST /api/v1/videos)")
    title: str = Field(min_length=1, max_length=60)
    duration: float | None = Field(default=None, gt=0, le=3600)


class LiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=60)
    starts_at: str = Field(max_length=40, description="ISO 8601 with +08:00, e.g. 2026-12-03T19:30:00+08:00")
    url: str = Field(max_length=500, pattern=r"^https://", description="the session's https page")


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
    policy_effective_date: str | None = Field(default=None, pattern=DAY_RE)
    publish: bool = True
    note: str = Field(default="", max_length=500)
    videos: list[VideoIn] | None = Field(default=None, max_length=3, description="video guides; omitted: kept")
    live: list[LiveIn] | None = Field(default=None, max_length=5, description="live sessions; omitted: kept")


class ArticlesQuery(BaseModel):
    matter: str = Field(default="", description="a catalogue matter; platform questions when empty")


class PublishCheckQuery(BaseModel):
    policy_effective_date: str = Field(description="YYYY-MM-DD", json_schema_extra={"format": "date"})


class MattersOut(Out):
    matters: Records


class VersionsOut(Out):
    versions: Records


class PublishCheckOut(Out):
    policy_effective_date: str
    publish_by: str | None
    possible: bool


@table.get("/api/v1/trainer/kb/matters", summary="Catalogue matters with article counts", auth=READERS,
           response=MattersOut)
async def matters(request: web.Request) -> web.Response:
    ctx = app_context(request)
    cursor = await ctx.store.kb_articles.aggregate([{"$group": {"_id": "$matter", "n": {"$sum": 1}}}])
    counts = {d["_id"]: d["n"] for d in await cursor.to_list(None)}
    out = [{"id": m.id, "name": m.name, "department": m.department, "articles": counts.get(m.id, 0)}
           for m in ctx.catalogue.matters.values()]
    out.append({"id": None, "name": "平台技术问题", "department": "bigdata-center", "articles": counts.get(None, 0)})
    return ok({"matters": out})


@table.get("/api/v1/trainer/kb/articles", summary="Live and pending articles of a matter", auth=READERS,
           query=ArticlesQuery)
async def articles(request: web.Request) -> web.Response:
    return ok(await trainer_services(request).kb.list(request.query.get("matter") or None))


@table.post("/api/v1/trainer/kb/articles", summary="Save (and publish) an article version", auth=TRAINERS,
            body=ArticleIn, errors={404: "unknown matter", 422: "validation failed: error.errors lists them"})
async def save_article(request: web.Request) -> web.Response:
    m = body(request, ArticleIn)
    try:
        res = await trainer_services(request).kb.save(principal(request), m.model_dump(exclude={"publish"}),
                                                      publish=m.publish)
    except KbEditError as exc:
        raise ApiError(422, "validation_failed", INVALID_ARTICLE, errors=exc.problems) from None
    except FileNotFoundError:
        raise ApiError(404, "unknown_matter") from None
    return ok(res)


@table.get("/api/v1/trainer/kb/articles/{aid}/versions", summary="Versions of an article", auth=READERS,
           response=VersionsOut)
async def versions(request: web.Request) -> web.Response:
    return ok({"versions": await trainer_services(request).kb.versions(request.match_info["aid"])})


@table.get("/api/v1/trainer/kb/publish-check", summary="Last publish day for a policy date", auth=READERS,
           query=PublishCheckQuery, response=PublishCheckOut)
async def publish_check(request: web.Request) -> web.Response:
    day = parse_day(request.query.get("policy_effective_date"))
    if day is None:
        raise ApiError(400, "invalid_payload", "policy_effective_date 格式应为 YYYY-MM-DD。")
    try:
        last = publish_by(day)
    except OverflowError:  # a day at the very start of the calendar: no publish day before it
        return ok({"policy_effective_date": day.isoformat(), "publish_by": None, "possible": False})
    return ok({"policy_effective_date": day.isoformat(), "publish_by": last.isoformat(),
               "possible": today() <= last})


class VerifiedQuery(BaseModel):
    matter: str = Field(default="", description="a catalogue matter; every article when empty")
    before: str = Field(default="", description="YYYY-MM-DD: only articles last verified before this day",
                        json_schema_extra={"format": "date"})


class VerifiedOut(Out):
    articles: Records


@table.get("/api/v1/trainer/kb/verified", summary="Live articles by the day they were last verified, oldest first",
           auth=READERS, query=VerifiedQuery, response=VerifiedOut)
async def by_verified_date(request: web.Request) -> web.Response:
    q: dict = {"matter": request.query["matter"]} if request.query.get("matter") else {}
    if request.query.get("before"):
        day = parse_day(request.query["before"])
        if day is None:
            raise ApiError(400, "invalid_payload", "before 格式应为 YYYY-MM-DD。")
        q["$or"] = [{"verified_date": {"$lt": day.isoformat()}}, {"verified_date": {"$in": ["", None]}}]
    docs = await app_context(request).store.kb_articles.find(
        q, {"matter": 1, "title": 1, "aspect": 1, "verified_date": 1, "source": 1},
        sort=[("verified_date", 1), ("_id", 1)], limit=2000).to_list(None)
    return ok({"articles": [{"id": d["_id"], "matter": d.get("matter"), "title": d.get("title"),
                             "aspect": d.get("aspect"), "verified_date": d.get("verified_date") or "",
                             "source": d.get("source", "")} for d in docs]})

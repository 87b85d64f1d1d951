"""Knowledge-base search for agents: suggestions for the user's question, insertable in the pane."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from bridge.domain.auth import OFFLINE_ROLES
from bridge.transport.http.common import STAFF, app_context, int_query, ok
from bridge.transport.http.models import MatterId, Out, Records
from core.errors import ApiError
from core.http_routes import RouteTable
from kb.search import KBSearcher

table = RouteTable("kb")
SEARCHER = web.AppKey("kb_searcher", KBSearcher)
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"  # a character Python's str.strip() keeps


class SearchQuery(BaseModel):
    q: str = Field(min_length=1, max_length=500, pattern=NOT_BLANK, description="the question")
    matter: MatterId = Field(default="", description="a catalogue matter; all matters when none match")
    limit: int = Field(default=5, description="clamped to 1..20")


class SearchOut(Out):
    results: Records


def install(app: web.Application) -> None:
    """Create the searcher the route uses (its index follows the knowledge base)."""
    app[SEARCHER] = KBSearcher(app["ctx"].store)


@table.get("/api/v1/kb/search", summary="Knowledge-base search (staff, offline helpers)", auth=STAFF + OFFLINE_ROLES,
           query=SearchQuery,
           response=SearchOut)
async def search(request: web.Request) -> web.Response:
    ctx = app_context(request)
    q = request.query.get("q", "").strip()
    if not q or len(q) > 500:
        raise ApiError(400, "invalid_payload", "请输入1到500个字的检索内容。")
    matter = request.query.get("matter") or None
    if matter and matter not in ctx.catalogue.matters:
        raise ApiError(400, "unknown_matter")
    limit = int_query(request, "limit", 5, 1, 20)
    index = await request.app[SEARCHER].fresh()
    hits = index.search(q, matter=matter, limit=limit)
    if matter and not hits:  # nothing in that matter: search everything
        hits = index.search(q, limit=limit)
    cards = ctx.messaging.cards
    return ok({"results": [
        {"id": h.article.id, "matter": h.article.matter, "aspect": h.article.aspect, "title": h.article.title,
         "question": h.article.question, "answer": h.article.answer, "steps": list(h.article.steps),
         "source": h.article.source, "score": round(h.score, 3),
         # video guides and live sessions: sent with the message when the agent inserts the article
         "cards": await cards.of(h.article.videos, h.article.live) if cards else []} for h in hits]})

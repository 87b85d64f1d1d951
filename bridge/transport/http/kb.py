"""Knowledge-base search for agents: suggestions for the user's question, insertable in the pane."""

from __future__ import annotations

from aiohttp import web

from bridge.transport.http.openapi import add_paths
from core.errors import ApiError
from kb.search import KBSearcher

STAFF = ("agent", "supervisor", "admin", "trainer")


def setup(app: web.Application) -> None:
    ctx = app["ctx"]
    searcher = KBSearcher(ctx.store)

    async def search(request: web.Request) -> web.Response:
        p = ctx.tokens.from_request(request)
        if p.role not in STAFF:
            raise ApiError(403, "forbidden")
        q = request.query.get("q", "").strip()
        if not q or len(q) > 500:
            raise ApiError(400, "invalid_payload", "请输入1到500个字的检索内容。")
        matter = request.query.get("matter") or None
        if matter and matter not in ctx.catalogue.matters:
            raise ApiError(400, "unknown_matter")
        try:
            limit = min(20, max(1, int(request.query.get("limit", "5"))))
        except ValueError:
            raise ApiError(400, "invalid_payload", "limit 必须是数字。") from None
        index = await searcher.fresh()
        hits = index.search(q, matter=matter, limit=limit)
        if matter and not hits:  # nothing in that matter: search everything
            hits = index.search(q, limit=limit)
        return web.json_response({"results": [
            {"id": h.article.id, "matter": h.article.matter, "aspect": h.article.aspect, "title": h.article.title,
             "question": h.article.question, "answer": h.article.answer, "steps": list(h.article.steps),
             "source": h.article.source, "score": round(h.score, 3)} for h in hits]})

    app.router.add_get("/api/v1/kb/search", search)
    add_paths({"/api/v1/kb/search": {"get": {
        "security": [{"bearer": []}], "summary": "Knowledge-base search (staff)",
        "parameters": [
            {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1,
                                                                        "maxLength": 500, "pattern": r"\S"}},
            {"name": "matter", "in": "query", "required": False,
             "schema": {"type": "string", "enum": sorted(ctx.catalogue.matters)}},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 20}},
        ],
        "responses": {"200": {"description": "ranked articles"}, "400": {"description": "bad query"},
                      "401": {"description": "no token"}, "403": {"description": "not staff"}}}}})

"""Cards of an answer: the video guides and live sessions of the knowledge-base article it comes from.

A bot reply whose `meta.kb_article` names an article with `videos` or `live` (docs/kb-format.md) carries
`cards`: one `{type: "video", ...}` per ready video guide (signed links, from media), then one
`{type: "live", title, starts_at, url}` per session not yet over, soonest first (docs/protocol.md).
"""

from __future__ import annotations

import logging
from typing import Any

from bridge.domain.ports import VideoCards
from bridge.infra.coalesce import BatchReader
from core.clock import now
from core.db import Store
from kb.video_guides import LiveSession, VideoGuide, guides_from_doc, upcoming

log = logging.getLogger("bangban.cards")


class AnswerCards:
    """Build the cards of an article for a message."""

    def __init__(self, store: Store, videos: VideoCards) -> None:
        self.store = store
        self.videos = videos
        # the bot's answers of a burst share their reads of the articles' guides (each read starts after its ask)
        self._guides: BatchReader[dict[str, Any] | None] = BatchReader(self._read_guides, default=None)

    async def for_article(self, article_id: str) -> list[dict[str, Any]]:
        """The cards of the article in force (none when it has no guides, or is unknown)."""
        doc = await self._guides.get(article_id)
        if doc is None:
            return []
        guides = guides_from_doc(doc)
        return await self.of(guides["videos"], guides["live"])

    async def _read_guides(self, article_ids: list[str]) -> dict[str, dict[str, Any]]:
        return {doc["_id"]: doc async for doc in self.store.kb_articles.find(
            {"_id": {"$in": article_ids}}, {"videos": 1, "live": 1})}

    async def of(self, videos: tuple[VideoGuide, ...], live: tuple[LiveSession, ...]) -> list[dict[str, Any]]:
        """The cards of these guides: ready videos, then sessions not yet over."""
        cards = []
        for video in videos:
            card = await self.videos.card(video.media, video.title)
            if card is not None:
                cards.append(card)
        cards += [{"type": "live", "title": s.title, "starts_at": s.starts_at, "url": s.url}
                  for s in upcoming(live, now())]
        return cards

    async def add(self, replies: list[dict[str, Any]]) -> None:
        """Put `cards` on the replies that answer from an article with guides (a failure only logs)."""
        for reply in replies:
            article = (reply.get("meta") or {}).get("kb_article")
            if not article:
                continue
            try:
                cards = await self.for_article(str(article))
            except Exception:  # noqa: BLE001 - an answer without its cards beats no answer
                log.warning("answer cards failed for %s", article, exc_info=True)
                continue
            if cards:
                reply["cards"] = cards

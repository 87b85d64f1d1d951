"""Process-wide resources of the action server: the store, the live KB index and the brain."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict

from pymongo import MongoClient

from bot.actions.brain import Brain
from core.catalogue import get_catalogue
from core.catalogue_revision import follow
from core.db import connect
from core.settings import get_settings
from core.workcal import help_status
from kb.loader import Article, load_kb
from kb.matching import MatterMatcher
from kb.search import REVISION_ID, BM25Index, KBSearcher
from kb.tokenize import tokenize
from kb.versions import INACTIVE

log = logging.getLogger(__name__)
WARMUP_WAIT_S = 60.0
FOLLOW_INTERVAL_S = 2.0  # how often the serving process follows the KB and catalogue revisions


def _help_status(department: str):
    return help_status(department)


def _hours_text(department: str) -> str:
    catalogue = get_catalogue()
    start, end = catalogue.hours_for(department)
    return f"{'每天' if catalogue.every_day(department) else '工作日'} {start}-{end}"


def build_brain(index: BM25Index) -> Brain:
    """A brain over an index, with the matcher built from catalogue names and KB aliases."""
    catalogue = get_catalogue()
    aliases: dict[str, set[str]] = defaultdict(set)
    live = {m.id: m for m in catalogue.matters.values() if not m.retired}
    for art in index.articles:
        if art.matter in live:
            aliases[art.matter].update(art.aliases)
    names = {m.id: m.name for m in live.values()}
    matcher = MatterMatcher.from_sources(names, aliases)
    departments = {m.id: m.department for m in live.values()}
    return Brain(index, matcher, departments, help_status=_help_status, hours_text=_hours_text)


class Runtime:
    """Lazily connects; serves a brain that follows the KB revision in MongoDB.

    When MongoDB is unreachable or holds no articles yet, the KB files are used so
    the bot still answers (logged as a warning).
    """

    def __init__(self, store=None) -> None:
        self.store = store if store is not None else connect()
        self.searcher = KBSearcher(self.store)
        self._brain: Brain | None = None
        self._file_index: asyncio.Future[BM25Index] | None = None
        self._warm: threading.Thread | None = None
        self._prebuilt: tuple[object, BM25Index] | None = None

    def start_warmup(self) -> None:
        """Load jieba and build the index in a thread at start, so the first user does not wait."""
        if self._warm is None:
            self._warm = threading.Thread(target=self._warmup, name="kb-warmup", daemon=True)
            self._warm.start()

    def _warmup(self) -> None:
        try:
            tokenize("公积金提取")
            settings = get_settings()
            client: MongoClient = MongoClient(settings.mongo_url, serverSelectionTimeoutMS=3000)
            try:
                db = client[settings.mongo_db]
                rev = (db.kb_meta.find_one({"_id": REVISION_ID}) or {}).get("rev")
                docs = list(db.kb_articles.find({"status": {"$nin": list(INACTIVE)}}))
            finally:
                client.close()
            if docs:
                index = BM25Index(Article.from_doc(d) for d in docs)
                build_brain(index)
                self._prebuilt = (rev, index)
            log.info("kb warm-up done: %d articles, revision %s", len(docs), rev)
        except Exception as exc:  # noqa: BLE001 - warm-up is best effort
            log.warning("kb warm-up failed: %s", exc)

    async def brain(self) -> Brain:
        if self._warm is not None and self._warm.is_alive():
            # the warm-up builds the same index a first turn would: wait for it rather than build it twice
            await asyncio.to_thread(self._warm.join, WARMUP_WAIT_S)
        if self._prebuilt is not None:
            self.searcher.adopt(*self._prebuilt)
            self._prebuilt = None
        try:  # matters authored in the trainer console (core/catalogue_revision.py)
            renewed = await follow(self.store, get_catalogue())
        except Exception as exc:  # noqa: BLE001 - keep answering with the catalogue we have
            log.warning("catalogue revision check failed: %r", exc)
            renewed = False
        try:
            # shielded: a slow first load goes on in the background instead of being cancelled; a new
            # catalogue waits for the index (its new matter's articles come with the same change)
            load = self.searcher.refresh() if renewed else self.searcher.fresh()
            index = await asyncio.wait_for(asyncio.shield(load), timeout=10.0 if renewed else 3.0)
        except Exception as exc:  # noqa: BLE001 - keep answering from what we have
            log.warning("kb reload failed or slow: %r", exc)
            index = self.searcher.index
        if not len(index):
            index = await self._files_index()
        if renewed or self._brain is None or self._brain.index is not index:
            self._brain = await asyncio.to_thread(build_brain, index)
        return self._brain


    async def _files_index(self) -> BM25Index:
        """The index of the KB files, built once however many turns ask for it at the same time."""
        if self._file_index is None:
            log.warning("kb_articles is empty or unreachable: answering from data/kb files")
            self._file_index = asyncio.ensure_future(asyncio.to_thread(lambda: BM25Index(load_kb().articles)))
        return await asyncio.shield(self._file_index)


_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime()
    return _runtime

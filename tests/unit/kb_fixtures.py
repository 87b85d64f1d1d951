"""Shared helpers for the KB and bot unit tests (pure logic over the real KB files)."""

from __future__ import annotations

from functools import lru_cache

from bot.actions.brain import Brain
from bot.actions.runtime import build_brain
from kb.loader import Article, load_kb
from kb.search import BM25Index


@lru_cache(maxsize=1)
def real_index() -> BM25Index:
    """The index over the KB files of the repository (built once per test session)."""
    return BM25Index(load_kb().articles)


def real_brain() -> Brain:
    return build_brain(real_index())


def article(id_: str, aspect: str, title: str, answer: str, matter: str | None = None, **kw) -> Article:
    matter = matter if matter is not None else (id_.split(".")[0] if not id_.startswith("platform") else None)
    return Article(
        id=id_,
        matter=matter,
        department=kw.pop("department", "dep"),
        aspect=aspect,
        title=title,
        answer=answer,
        **kw,
    )

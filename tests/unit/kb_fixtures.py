"""Shared helpers for the KB and bot unit tests (pure logic over the real KB files)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.actions.brain import Brain, Turn
from bot.actions.runtime import build_brain
from kb.loader import Article, load_kb
from kb.search import BM25Index


@lru_cache(maxsize=1)
def real_index() -> BM25Index:
    """The index over the KB files of the repository (built once per test session)."""
    return BM25Index(load_kb().articles)


def real_brain() -> Brain:
    return build_brain(real_index())


SH = ZoneInfo("Asia/Shanghai")


@dataclass
class Status:
    """What the desk's help hours say (`Brain.help_status`)."""

    open: bool
    next_open: dt.datetime


def open_brain() -> Brain:
    """The brain over the real KB, with human help open now."""
    b = real_brain()
    b.help_status = lambda department: Status(True, dt.datetime.now(SH))
    return b


def say(brain: Brain, action: str, intent: str, text: str, conf: float = 0.9, **slots):
    """The brain's response to one turn read as `intent` (`conf`) with the conversation's `slots`."""
    return brain.respond(action, Turn(intent=intent, confidence=conf, text=text, slots=dict(slots)))


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

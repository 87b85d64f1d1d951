"""Scoring 小申's replies against labelled questions (held-out bench and go-live check).

A labelled question has `text`, `scope` (in_scope, platform_tech, complaint_or_legal,
chitchat, request_human …), optionally `matter`, `aspect`, `kind` (thanks, chitchat,
human, complaint, legal, platform_tech …) and `articles`: the ids of the articles
that answer it acceptably (`[]`: none does, the bot should send no article).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import ROOT

HELDOUT = ROOT / "tests" / "data" / "heldout.yml"  # the bench's set; never trained on, never tuned on
DEV = ROOT / "tests" / "data" / "dev_questions.yml"  # the bot's own dev questions; never trained on

# The labels of an evaluation question (tests/data/*.yml, data/eval/golive.yml)
FIELDS = frozenset({"text", "matter", "scope", "aspect", "articles", "kind", "after"})
SCOPES = frozenset({"in_scope", "complaint_or_legal", "chitchat", "platform_tech", "unknown"})
ASPECTS = frozenset({"conditions", "materials", "process", "fees", "time_limit", "progress", "offline", "other"})
KINDS = frozenset({"question", "thanks", "chitchat", "human", "complaint", "legal", "platform_tech", "followup"})

NO_ARTICLE_KINDS = frozenset({"thanks", "chitchat", "greet", "goodbye", "complaint", "legal", "human", "resolved"})
NO_ARTICLE_SCOPES = frozenset({"chitchat", "complaint_or_legal", "out_of_scope", "request_human"})
HUMAN_KINDS = frozenset({"human", "request_human"})


def wants_no_article(q: dict[str, Any]) -> bool:
    """Whether no article fits the question (so the bot should send none)."""
    if "articles" in q and not q["articles"] and q.get("scope") != "in_scope":
        return True
    return q.get("kind") in NO_ARTICLE_KINDS or q.get("scope") in NO_ARTICLE_SCOPES


def wants_person(q: dict[str, Any]) -> bool:
    return q.get("kind") in HUMAN_KINDS or q.get("scope") == "request_human"


@dataclass
class Tally:
    """Right / asked counts per measure."""

    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    asked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, ok: bool) -> bool:
        self.asked[name] += 1
        self.right[name] += bool(ok)
        return bool(ok)

    def rate(self, name: str) -> float | None:
        return self.right[name] / self.asked[name] if self.asked.get(name) else None

    def line(self, name: str) -> str:
        n, d = self.right[name], self.asked.get(name, 0)
        return f"{n}/{d} = {100.0 * n / d:.1f}%" if d else "n/a"


def score(q: dict[str, Any], message: dict[str, Any], tally: Tally) -> bool:
    """Add one reply's results to the tally; True when nothing was wrong."""
    got = message.get("meta") or {}
    article = got.get("kb_article")
    oks: list[bool] = []
    if q.get("matter"):
        oks.append(tally.add("matter", got.get("matter") == q["matter"]))
    oks.append(tally.add("scope", _scope_ok(q, got.get("scope"), message)))
    if q.get("articles") and q.get("scope") == "in_scope":
        ok = article in q["articles"]
        oks.append(tally.add("article", ok))
        tally.add(f"article/{q.get('aspect') or 'general'}", ok)
    if wants_no_article(q):
        oks.append(tally.add("no_article", article is None))
    if wants_person(q):
        oks.append(tally.add("handoff", "handoff" in message))
    if all(oks):
        return True
    tally.misses.append(
        f"  {q['text']}  want {q.get('matter')}/{q.get('scope')}/{q.get('aspect')} {q.get('articles')}  "
        f"got {got.get('intent')}({got.get('confidence')}) {got.get('matter')}/{got.get('scope')}/{article}"
        f"{' handoff' if 'handoff' in message else ''}"
    )
    return False


def _scope_ok(q: dict[str, Any], scope: str | None, message: dict[str, Any]) -> bool:
    want = q.get("scope")
    if want == "request_human":
        return "handoff" in message
    return scope == want


def report(tally: Tally, title: str) -> list[str]:
    """Printable lines: the headline measures, then article accuracy per aspect."""
    lines = [title]
    for name, label in (
        ("article", "article acceptable (matter questions)"),
        ("matter", "matter identified"),
        ("scope", "scope"),
        ("no_article", "no article when none fits"),
        ("handoff", "requests for a person handed off"),
    ):
        lines.append(f"  {label:<40} {tally.line(name)}")
    for name in sorted(k for k in tally.asked if k.startswith("article/")):
        lines.append(f"    {name:<38} {tally.line(name)}")
    return lines


def heldout_files() -> list[Path]:
    """The held-out set: `tests/data/heldout.yml` and the matter waves' `tests/data/heldout-*.yml`."""
    return [HELDOUT, *sorted(HELDOUT.parent.glob("heldout-*.yml"))]


def load_questions(*paths) -> list[dict[str, Any]]:
    """The `questions` lists of labelled YAML files, in order."""
    import yaml

    out: list[dict[str, Any]] = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            out += (yaml.safe_load(f) or {}).get("questions") or []
    return out


def tally_of(pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]]) -> Tally:
    """Score (question, reply message) pairs."""
    t = Tally()
    for q, m in pairs:
        score(q, m, t)
    return t

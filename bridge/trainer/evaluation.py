"""Evaluation before a new model goes live: article accuracy on the go-live set.

The go-live set (`data/eval/golive.yml`, never trained on; `tests/` is not read at run
time) labels each question with the articles that answer it acceptably. The new model
parses every question; 小申's brain (over the live KB) answers each parse as a first
turn; a question counts when the article sent is acceptable (see `bot/scoring.py`).
A new model goes live only when its article accuracy is at least `MIN_ACCURACY` and not
below the live model's (measured on the same set with the same brain; when the live model
cannot be asked, the figure stored when it went live, if it was measured on the same set) by
more than the set's noise: `NOISE_SHARE` of its matter questions, in whole questions (one
question of the 182 today; none on a set under 100).
Intent accuracy (`intent_ok`) is kept as a secondary figure.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.settings import ROOT

GOLIVE = ROOT / "data" / "eval" / "golive.yml"
ASK = {"ask_matter", "ask_conditions", "ask_materials", "ask_process", "ask_fees", "ask_time_limit",
       "ask_progress", "ask_offline"}
CHAT = {"chitchat", "greet", "thanks", "goodbye"}
MIN_ACCURACY = 0.5
NOISE_SHARE = 0.01  # a drop of this share of the set's matter questions (whole questions) is noise


def load_golive(path: Path = GOLIVE) -> list[dict]:
    """The labelled questions of the go-live set (none when the file is missing)."""
    if not path.exists():
        return []
    return list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("questions") or [])


def set_digest(path: Path = GOLIVE) -> str | None:
    """A digest of the go-live set: stored figures count only for the set they were measured on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else None


def matter_questions(questions: Sequence[dict]) -> int:
    """How many questions of the set count for the article accuracy."""
    return sum(1 for q in questions if q.get("articles") and q.get("scope", "in_scope") == "in_scope")


def noise(asked: int) -> int:
    """The drop in right answers, in questions, that a set of `asked` questions cannot tell from noise
    (-1, nothing tolerated, below 1 / NOISE_SHARE questions)."""
    return math.floor(asked * NOISE_SHARE + 1e-9) or -1


def article_accuracy(questions: Sequence[dict], parses: Sequence[dict], brain) -> tuple[float, list[dict]]:
    """Share of labelled matter questions answered with an acceptable article, and the misses.

    `parses` are the NLU results of `bot.offline.texts_of(questions)` (follow-ups bring their `after` turn).
    """
    from bot.offline import question_replies

    wrong: list[dict] = []
    right = asked = 0
    for q, msg in zip(questions, question_replies(brain, questions, parses), strict=True):
        if not (q.get("articles") and q.get("scope", "in_scope") == "in_scope"):
            continue
        got = (msg.get("meta") or {}).get("kb_article")
        asked += 1
        if got in q["articles"]:
            right += 1
        else:
            wrong.append({"text": q["text"], "article": got, "want": list(q["articles"])})
    return (round(right / asked, 4) if asked else 0.0), wrong


def intent_ok(intent: str | None, q: dict) -> bool:
    """Whether `intent` is a right reading of held-out question `q`."""
    scope = q.get("scope")
    if scope == "in_scope":
        return intent == f"ask_{q['aspect']}" if q.get("aspect") else intent in ASK
    if scope == "chitchat":
        return intent in CHAT
    return intent == scope


def accuracy(questions: Sequence[dict], intents: Sequence[str | None]) -> float:
    if not questions:
        return 0.0
    return round(sum(intent_ok(i, q) for q, i in zip(questions, intents, strict=True)) / len(questions), 4)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str


def gate(new: float, live: float | None, what: str = "答案准确率", asked: int = 0) -> Verdict:
    """Whether a model with accuracy `new` may replace the live one (accuracy `live`), both measured
    on `asked` questions: a drop of up to `noise(asked)` questions is noise (none when `asked` is 0)."""
    if new < MIN_ACCURACY:
        return Verdict(False, f"新模型{what}{new:.1%}低于下限{MIN_ACCURACY:.0%}，未上线。")
    drop = round((live - new) * asked) if live is not None and asked else 0
    if live is not None and new < live and not 0 <= drop <= noise(asked):
        return Verdict(False, f"新模型{what}{new:.1%}低于线上模型{live:.1%}，未上线。")
    live_text = f"（线上模型{live:.1%}）" if live is not None else ""
    if live is not None and new < live:
        live_text = f"（线上模型{live:.1%}，少答对{drop}题，在评估集{asked}题的误差{max(noise(asked), 0)}题以内）"
    return Verdict(True, f"新模型{what}{new:.1%}{live_text}，通过。")

"""NLU evaluation before a new model goes live: intent accuracy on the held-out questions.

The held-out file (`tests/data/heldout.yml`, never trained on) gives each question its
expected scope and, for in-scope questions, the aspect asked; an answer is right when
the parsed intent fits (see `intent_ok`). A new model goes live only when its accuracy
is at least `MIN_ACCURACY` and not more than `MAX_DROP` below the live model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.settings import ROOT

HELDOUT = ROOT / "tests" / "data" / "heldout.yml"
ASK = {"ask_matter", "ask_conditions", "ask_materials", "ask_process", "ask_fees", "ask_time_limit",
       "ask_progress", "ask_offline"}
CHAT = {"chitchat", "greet", "thanks", "goodbye"}
MIN_ACCURACY = 0.5
MAX_DROP = 0.03


def load_heldout(path: Path = HELDOUT) -> list[dict]:
    return list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("questions") or [])


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


def gate(new: float, live: float | None) -> Verdict:
    """Whether a model with accuracy `new` may replace the live one (accuracy `live`)."""
    if new < MIN_ACCURACY:
        return Verdict(False, f"新模型意图准确率{new:.1%}低于下限{MIN_ACCURACY:.0%}，未上线。")
    if live is not None and new < live - MAX_DROP:
        return Verdict(False, f"新模型意图准确率{new:.1%}比线上模型{live:.1%}下降超过{MAX_DROP:.0%}，未上线。")
    live_text = f"（线上模型{live:.1%}）" if live is not None else ""
    return Verdict(True, f"新模型意图准确率{new:.1%}{live_text}，通过。")

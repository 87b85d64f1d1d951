"""Pure pieces of conversation review: turns, outcomes, reviewed examples and test stories.

A turn is one user message with the bot's replies to it (`reply_to`); how the bot understood
it is the `meta` {intent, confidence, matter, kb_article, scope} stored with the reply. Texts
shown to trainers and written to training data are masked of personal numbers (core/pii.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import yaml

from core.clock import iso
from core.pii import mask_pii

OUTCOMES = ("resolved", "handed_off", "unanswered", "low_confidence", "bad_rating")
LOW_CONFIDENCE = 0.5  # the bot believes an intent from this confidence on (docs/bot.md)
BAD_SCORE = 2  # a bot rating of at most this many stars is a bad one
TEST_STORIES = "data/test_stories/reviewed.yml"
_LOOKUP = "- lookup: matter"


def understood(replies: list[dict[str, Any]]) -> dict[str, Any]:
    """How the bot read a turn: the meta of the reply that carries an article, else of the first reply."""
    metas = [r.get("meta") or {} for r in replies]
    best = next((m for m in metas if m.get("kb_article")), metas[0] if metas else {})
    return {k: best.get(k) for k in ("intent", "confidence", "matter", "kb_article", "scope")}


def turns(messages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The user turns of a conversation in order, each with the bot's reading and answers (masked)."""
    out: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    bot: list[dict[str, Any]] = []
    for m in messages:
        role = (m.get("sender") or {}).get("role")
        if role == "user":
            turn = {"seq": m["seq"], "id": m["_id"], "text": mask_pii(m.get("text") or ""), "type": m.get("type"),
                    "ts": iso(m.get("ts")), "replies": []}
            by_id[m["_id"]] = turn
            out.append(turn)
        elif role == "bot":
            bot.append(m)
    for m in bot:
        turn = by_id.get(m.get("reply_to") or "")
        if turn is not None:
            turn["replies"].append(m)
    for turn in out:
        replies = turn.pop("replies")
        turn["understood"] = understood(replies)
        turn["answers"] = [mask_pii(r.get("text") or "") for r in replies]
    return out


def outcomes(conv: dict[str, Any], conv_turns: list[dict[str, Any]], rating: dict[str, Any] | None,
             unanswered: bool) -> list[str]:
    """Which of OUTCOMES describe the conversation."""
    out = []
    if conv.get("bot_resolved") or (rating or {}).get("resolved") is True:
        out.append("resolved")
    if conv.get("handed_off"):
        out.append("handed_off")
    if unanswered:
        out.append("unanswered")
    if any((t["understood"].get("confidence") or 0.0) < LOW_CONFIDENCE for t in conv_turns if t["answers"]):
        out.append("low_confidence")
    if rating and (rating.get("score", 5) <= BAD_SCORE or rating.get("resolved") is False):
        out.append("bad_rating")
    return out


def annotated(text: str, phrase: str, matter: str) -> str:
    """`text` with the first `phrase` marked as the `matter` entity of value `matter` (Rasa YAML)."""
    at = text.find(phrase)
    if not phrase or at < 0:
        return text
    value = json.dumps({"entity": "matter", "value": matter}, ensure_ascii=False, separators=(", ", ": "))
    return f"{text[:at]}[{phrase}]{value}{text[at + len(phrase):]}"


def with_lookup(file_text: str, phrase: str) -> str:
    """An NLU file's text with `phrase` in its `matter` lookup table (the item is added when missing).

    The regex entity extractor finds a `matter` only by lookup tables; the annotated example
    then maps the phrase to its matter id (a synonym).
    """
    lines = file_text.rstrip("\n").splitlines()
    if any(line.strip() == f"- {phrase}" for line in _lookup_lines(lines)):
        return file_text
    if _LOOKUP not in lines:
        return "\n".join([*lines, _LOOKUP, "  examples: |", f"    - {phrase}"]) + "\n"
    at = lines.index(_LOOKUP) + 2
    lines.insert(at, f"    - {phrase}")
    return "\n".join(lines) + "\n"


def _lookup_lines(lines: list[str]) -> list[str]:
    if _LOOKUP not in lines:
        return []
    start = lines.index(_LOOKUP) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("- ")), len(lines))
    return lines[start:end]


def story_name(conversation_id: str, seqs: list[int]) -> str:
    return f"对话回顾 {conversation_id[:8]} 第{'、'.join(str(s) for s in seqs)}条"


def test_story(name: str, steps: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A Rasa test story of (user text, intent, action) steps."""
    out: list[dict[str, Any]] = []
    for text, intent, action in steps:
        out += [{"user": text, "intent": intent}, {"action": action}]
    return {"story": name, "steps": out}


def with_test_story(file_text: str, story: dict[str, Any]) -> str:
    """The test-stories file with `story` appended (a story of the same name is replaced)."""
    doc = yaml.safe_load(file_text) if file_text.strip() else None
    doc = doc if isinstance(doc, dict) else {}
    stories = [s for s in doc.get("stories") or [] if isinstance(s, dict) and s.get("story") != story["story"]]
    doc = {"version": str(doc.get("version") or "3.1"), "stories": [*stories, story]}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=200)


def intent_actions(rules_text: str) -> dict[str, str]:
    """intent -> the action the rules answer it with."""
    out: dict[str, str] = {}
    for rule in (yaml.safe_load(rules_text) or {}).get("rules") or []:
        steps = [s for s in (rule or {}).get("steps") or [] if isinstance(s, dict)]
        for a, b in zip(steps, steps[1:], strict=False):
            if "intent" in a and "action" in b:
                out.setdefault(str(a["intent"]), str(b["action"]))
    return out


PHRASE_RE = re.compile(r"^[^\[\]{}()\n]{2,30}$")

"""Run 小申's brain on NLU parse results, without Rasa's dialogue: go-live checks and dev loops.

Every user turn of 小申 is answered by the one action its intent's rule names
(`data/rules.yml`), so a parse result is enough to know the reply of a first turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.actions.brain import Brain
from bot.actions.turns import Turn

INTENT_ACTIONS = {
    **{i: "action_answer" for i in ("ask_matter", "ask_conditions", "ask_materials", "ask_process", "ask_fees",
                                     "ask_time_limit", "ask_progress", "ask_offline")},
    "platform_tech": "action_platform_tech",
    "complaint_or_legal": "action_complaint_channel",
    "request_human": "action_handoff",
    "feedback_resolved": "action_feedback_resolved",
    "feedback_unresolved": "action_feedback_unresolved",
    **{i: "action_smalltalk" for i in ("greet", "thanks", "goodbye", "chitchat", "affirm", "deny")},
    "nlu_fallback": "action_fallback",
}


def turn_of(parse: dict[str, Any]) -> Turn:
    """A first-turn `Turn` from a Rasa parse result (intent, intent_ranking, entities, text)."""
    return Turn.from_parse(parse)


def replies(brain: Brain, parses: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reply message of each parse as the first turn of a conversation."""
    return [conversation(brain, [p]) for p in parses]


def conversation(brain: Brain, parses: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The reply to the last of several user turns of one conversation (slots carried over)."""
    slots: dict[str, Any] = {}
    message: dict[str, Any] = {}
    for p in parses:
        turn = turn_of(p)
        turn.slots = dict(slots)
        reply = brain.respond(INTENT_ACTIONS.get(turn.intent, "action_fallback"), turn)
        slots.update(reply.slots)
        message = reply.message
    return message


def texts_of(questions: Sequence[dict[str, Any]]) -> list[str]:
    """Every user text to parse for labelled questions: a follow-up's `after` turn, then the question."""
    return [t for q in questions for t in ([q["after"]] if q.get("after") else []) + [q["text"]]]


def question_replies(brain: Brain, questions: Sequence[dict[str, Any]], parses: Sequence[dict[str, Any]]):
    """The reply to each labelled question, given the parses of `texts_of(questions)` in order."""
    out, i = [], 0
    for q in questions:
        n = 2 if q.get("after") else 1
        out.append(conversation(brain, parses[i : i + n]))
        i += n
    return out

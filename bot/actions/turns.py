"""The data a bot turn works on: the user's message as understood, and the reply to send."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Turn:
    """What the bot knows about the current user message."""

    intent: str
    confidence: float = 1.0
    text: str = ""
    entities: list[dict] = field(default_factory=list)
    ranking: list[tuple[str, float]] = field(default_factory=list)
    hint_matter: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    typed: str = ""  # the text as typed, when `text` is its reading (pinyin in hanzi: kb.pinyin; typos: kb.typos)

    def close_second(self, intent: str, share: float) -> bool:
        """Whether `intent` is the NLU's first or second reading, at least `share` of the first."""
        top = [(n, p) for n, p in self.ranking if n != "nlu_fallback"][:2]
        return any(n == intent and p >= share * top[0][1] for n, p in top)

    @classmethod
    def from_parse(cls, parse: dict[str, Any]) -> Turn:
        """A turn from a Rasa parse result (text, intent, intent_ranking, entities)."""
        intent = parse.get("intent") or {}
        ranking = [(r.get("name"), float(r.get("confidence") or 0.0)) for r in parse.get("intent_ranking") or []]
        return cls(
            intent=intent.get("name") or "nlu_fallback",
            confidence=float(intent.get("confidence") or 0.0),
            text=parse.get("text") or "",
            entities=list(parse.get("entities") or []),
            ranking=ranking,
        )

    @property
    def payload(self) -> bool:
        """A button payload ("/intent{...}") rather than typed text."""
        return self.text.startswith("/")

    def entity(self, name: str) -> str | None:
        """The first value of an entity, if any."""
        return next((str(e.get("value")) for e in self.entities if e.get("entity") == name), None)


@dataclass
class Reply:
    """The custom JSON message to send and the slots to set."""

    message: dict[str, Any]
    slots: dict[str, Any] = field(default_factory=dict)


def meta(turn: Turn, scope: str, matter: str | None = None, article: str | None = None) -> dict[str, Any]:
    """The reply's `meta` with the contract's keys."""
    return {
        "intent": turn.intent,
        "confidence": round(float(turn.confidence), 4),
        "matter": matter,
        "kb_article": article,
        "scope": scope,
    }


def matter_payload(matter: str) -> str:
    """The payload of a clarification button naming a matter."""
    return "/ask_matter" + json.dumps({"matter": matter})


def article_payload(article_id: str) -> str:
    """The payload of a clarification button naming an article."""
    return "/ask_matter" + json.dumps({"article": article_id})

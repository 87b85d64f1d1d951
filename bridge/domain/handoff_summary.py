"""The summary an agent gets with a handoff: the citizen's last question, the bot's last answer."""

from __future__ import annotations

from typing import Any

from bridge.infra.message_store import MessageStore


def handoff_summary(conv: dict, messages: list[dict]) -> dict[str, Any]:
    """The summary of `conv` from its last messages (oldest first)."""
    question = answer = None
    for m in messages:
        role, text = m["sender"]["role"], m.get("text")
        if role == "user" and text and not text.startswith("/"):
            question = text
        elif role == "bot" and text:
            answer = text[:300]
    return {"matter": conv.get("matter"), "scope": conv.get("scope"), "question": question,
            "bot_answer": answer, "kb_article": None}


async def summary_of(conv: dict, messages: MessageStore) -> dict[str, Any]:
    """The summary from the messages this process stored (`MessageStore.recent`), else from a read."""
    recent = messages.recent(conv["_id"])
    return handoff_summary(conv, recent if recent is not None else await messages.last(conv["_id"], 30))

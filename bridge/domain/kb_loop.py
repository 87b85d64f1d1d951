"""Agent answers flowing back into the knowledge base as drafts for trainers to review."""

from __future__ import annotations

import uuid

from bridge.domain.auth import Principal
from core.clock import now
from core.db import Store
from core.pii import mask_pii


class KbLoop:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def draft_from_conversation(self, conv: dict, agent: Principal, suggestion: str) -> dict:
        """A draft article from a resolved conversation: the user's question and the agent's answer."""
        question = (conv.get("summary") or {}).get("question")
        answers = await self.store.messages.find(
            {"conversation_id": conv["_id"], "sender.role": "agent", "type": "text"}, sort=[("seq", 1)]
        ).to_list(None)
        if not question:
            first = await self.store.messages.find_one(
                {"conversation_id": conv["_id"], "sender.role": "user", "type": "text"}, sort=[("seq", 1)])
            question = first["text"] if first else ""
        draft = {
            "_id": uuid.uuid4().hex,
            "status": "pending",
            "matter": conv.get("matter"),
            "department": conv.get("department"),
            # drafts become knowledge-base articles: personal numbers masked
            "question": mask_pii(question),
            "answer": mask_pii(suggestion.strip() or "\n".join(m["text"] for m in answers)[:4000]),
            "agent_answers": [mask_pii(m["text"]) for m in answers][:20],
            "conversation_id": conv["_id"],
            "agent": {"id": agent.id, "name": agent.name},
            "created_at": now(),
        }
        await self.store.kb_drafts.insert_one(draft)
        return draft

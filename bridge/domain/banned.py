"""Banned phrases of the service norms (禁语) for staff messages, and the check that refuses them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bridge.domain.auth import Principal
from bridge.infra.delivery import Delivery
from core.clock import now
from core.db import Store
from core.errors import ApiError

_SKIP = re.compile(r"[\s\W_]+", re.UNICODE)


class BannedPhrases:
    def __init__(self, phrases: list[str]) -> None:
        self.phrases = sorted({p.strip() for p in phrases if p and p.strip()}, key=len, reverse=True)
        self._normed = [(p, _SKIP.sub("", p)) for p in self.phrases]

    @classmethod
    def load(cls, path: Path) -> BannedPhrases:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(list(data.get("phrases", [])))

    def find(self, text: str) -> str | None:
        """The first banned phrase in `text` (ignoring spaces and punctuation), or None."""
        flat = _SKIP.sub("", text)
        for phrase, normed in self._normed:
            if normed and normed in flat:
                return phrase
        return None


class ServiceNorms:
    """Refuses staff messages containing a banned phrase: an audit record and a supervisor alert first."""

    def __init__(self, phrases: BannedPhrases, store: Store, delivery: Delivery) -> None:
        self.phrases = phrases
        self.store = store
        self.delivery = delivery

    async def check(self, staff: Principal, conv: dict, text: str) -> None:
        """Raise ApiError 400 `forbidden_words` when `text` holds a banned phrase."""
        phrase = self.phrases.find(text) if text else None
        if not phrase:
            return
        await self.store.audit.insert_one({"kind": "forbidden_words", "ts": now(), "agent": staff.id,
                                           "conversation_id": conv["_id"], "phrase": phrase,
                                           "text": text[:500], "department": conv.get("department")})
        await self.delivery.to_supervisors(conv.get("department") or "", "alert", {
            "kind": "forbidden_words", "agent": {"id": staff.id, "name": staff.name},
            "conversation_id": conv["_id"], "phrase": phrase})
        raise ApiError(400, "forbidden_words", f"消息中含有服务禁语“{phrase}”，请修改后再发送。", phrase=phrase)

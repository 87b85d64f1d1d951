"""The ledger of questions nobody answered: deduplicated, with a 5-working-day deadline."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from bridge.clock import now
from core.catalogue import Catalogue
from core.db import Store
from core.workcal import SHANGHAI, add_workdays

ANSWER_WORKDAYS = 5
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def question_key(text: str) -> str:
    """A key that is the same for questions that differ only in spacing and punctuation."""
    norm = _PUNCT.sub("", text.lower())
    return hashlib.sha1(norm.encode()).hexdigest()[:20]


def deadline_for(asked: dt.datetime) -> dt.date:
    return add_workdays(asked.astimezone(SHANGHAI).date(), ANSWER_WORKDAYS)


class Unanswered:
    def __init__(self, store: Store, catalogue: Catalogue) -> None:
        self.store = store
        self.catalogue = catalogue

    async def record(self, question: str, matter: str | None, conversation_id: str) -> None:
        """Add a question to the ledger, or count it again if it is already there."""
        question = question.strip()[:500]
        if not question or question.startswith("/"):
            return
        t = now()
        department = self.catalogue.route(matter if matter in self.catalogue.matters else None)
        await self.store.unanswered.update_one(
            {"_id": question_key(question)},
            {"$setOnInsert": {"question": question, "matter": matter, "department": department,
                              "first_asked": t, "status": "open",
                              "deadline": deadline_for(t).isoformat()},
             "$inc": {"count": 1}, "$set": {"last_asked": t},
             "$addToSet": {"conversations": conversation_id}},
            upsert=True,
        )

"""The ledger of questions nobody answered: near-duplicates merged, a 5-working-day deadline.

Questions are tokenized with jieba (`kb.tokenize`); the features of a question are
its jieba tokens plus the characters of those tokens (so different segmentations of
the same words still overlap). A new question joins an open entry of the same matter
when the Jaccard similarity of their feature sets reaches `SIMILARITY`, and that
entry counts how often it was asked. Entries past their
deadline are flagged to the supervisors of their department once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from typing import Any

from core.catalogue import Catalogue
from core.clock import now
from core.db import Store
from core.pii import mask_pii
from core.workcal import SHANGHAI, add_workdays

ANSWER_WORKDAYS = 5
SIMILARITY = 0.6
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def question_key(text: str) -> str:
    """A key that is the same for questions that differ only in spacing and punctuation."""
    norm = _PUNCT.sub("", text.lower())
    return hashlib.sha1(norm.encode()).hexdigest()[:20]


def deadline_for(asked: dt.datetime) -> dt.date:
    """Answer deadline: 5 working days after the day the question was first asked (Shanghai time)."""
    return add_workdays(asked.astimezone(SHANGHAI).date(), ANSWER_WORKDAYS)


def question_tokens(text: str) -> list[str]:
    """The sorted features of a question: jieba search tokens (stopwords dropped) and their characters."""
    from kb.tokenize import tokenize

    words = set(tokenize(text))
    return sorted(words | {ch for w in words for ch in w})


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """Jaccard similarity of two token sets (0 when both are empty)."""
    sa, sb = set(a), set(b)
    union = sa | sb
    return len(sa & sb) / len(union) if union else 0.0


def closest(tokens: list[str], candidates: Iterable[dict], threshold: float = SIMILARITY) -> dict | None:
    """The candidate (with a `tokens` list) most similar to `tokens`, if at or above `threshold`."""
    best, best_score = None, threshold
    for cand in candidates:
        score = jaccard(tokens, cand.get("tokens") or ())
        if score >= best_score and (best is None or score > best_score):
            best, best_score = cand, score
    return best


def is_overdue(entry: dict, today: dt.date) -> bool:
    return entry.get("status") == "open" and str(entry.get("deadline") or "9999") < today.isoformat()


class Unanswered:
    def __init__(self, store: Store, catalogue: Catalogue) -> None:
        self.store = store
        self.catalogue = catalogue

    async def record(self, question: str, matter: str | None, conversation_id: str) -> str | None:
        """Add a question to the ledger, or count it on its (near-)duplicate; returns the entry id."""
        question = mask_pii(question.strip()[:500])  # the ledger feeds NLU examples and KB articles
        if not question or question.startswith("/"):
            return None
        t = now()
        key = question_key(question)
        tokens = await asyncio.to_thread(question_tokens, question)
        target = key
        if tokens and await self.store.unanswered.count_documents({"_id": key}, limit=1) == 0:
            candidates = await self.store.unanswered.find(
                {"status": "open", "matter": matter}, {"tokens": 1}, limit=2000).to_list(None)
            near = closest(tokens, candidates)
            if near is not None:
                target = near["_id"]
        update: dict[str, Any] = {"$inc": {"count": 1}, "$set": {"last_asked": t},
                                  "$addToSet": {"conversations": conversation_id}}
        if target == key:
            department = self.catalogue.route(matter if matter in self.catalogue.matters else None)
            update["$setOnInsert"] = {"question": question, "matter": matter, "department": department,
                                      "first_asked": t, "status": "open", "tokens": tokens,
                                      "deadline": deadline_for(t).isoformat(), "variants": []}
            await self.store.unanswered.update_one({"_id": key}, update, upsert=True)
        else:
            update["$addToSet"]["variants"] = question
            await self.store.unanswered.update_one({"_id": target}, update)
        return target

    async def flag_overdue(self, delivery, today: dt.date | None = None) -> list[dict]:
        """Flag open entries past their deadline to the supervisors (once each); returns the alerts."""
        today = today or now().astimezone(SHANGHAI).date()
        due = await self.store.unanswered.find(
            {"status": "open", "deadline": {"$lt": today.isoformat()}, "overdue_flagged_at": None}).to_list(None)
        alerts = []
        for entry in due:
            res = await self.store.unanswered.update_one(
                {"_id": entry["_id"], "overdue_flagged_at": None}, {"$set": {"overdue_flagged_at": now()}})
            if not res.modified_count:
                continue
            alert = {"kind": "unanswered_overdue", "unanswered_id": entry["_id"], "question": entry["question"],
                     "matter": entry.get("matter"), "department": entry.get("department"),
                     "deadline": entry["deadline"], "count": entry.get("count", 1),
                     "text": f"未答问题已超期（期限{entry['deadline']}）：{entry['question'][:60]}"}
            await self.store.alerts.insert_one({**alert, "ts": now()})
            await delivery.to_supervisors(entry.get("department") or "", "alert", alert)
            alerts.append(alert)
        return alerts

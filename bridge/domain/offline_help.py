"""Offline help (窗口帮办, 帮办员, 帮办领导干部): problems met on the spot, logged into the problem ledger.

A helper's problem is an ordinary ledger entry (`bridge/trainer/ledger.py`: 挂账 → 整改 → 销号, 回头看)
with `source: offline`, a structured `found_by` (helper id, role, name, hall, window), photos stored as the
helper's own files (`core/own_media.py`), the citizen's consent to be contacted and contact, and the
ledger's default deadline. Helpers read only the entries they logged; supervisors see them by hall and matter.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from bridge.domain.auth import OFFLINE_ROLES, Principal
from bridge.domain.scope import ledger_filter
from bridge.trainer import ledger
from core.clock import now
from core.db import Store
from core.errors import ApiError
from core.own_media import own_key
from core.pii import mask_pii

MAX_PHOTOS = 6
READERS = ("supervisor", "admin", "trainer")  # who sees offline help beyond their own items
ITEMS_SHOWN = 50  # open and overdue items listed in the summary


def found_by(account: dict[str, Any]) -> dict[str, str]:
    """The structured finder of an entry: the helper as their account has it now."""
    return {"id": account["_id"], "role": account["role"], "name": account.get("name", ""),
            "hall": account.get("hall", ""), "window": account.get("window", "")}


def problem_entry(data: dict[str, Any], finder: dict[str, str], photos: list[str]) -> dict[str, Any]:
    """The ledger fields of a helper's problem: masked text, place, photos, consent, default deadline."""
    hall = data.get("hall") or finder["hall"]
    window = data.get("window") or finder["window"]
    consent = bool(data.get("consent"))
    return {"problem": mask_pii(data["problem"]), "matter": data.get("matter"), "department": data.get("department"),
            "source": "offline", "found_by": finder, "found_where": " ".join(x for x in (hall, window) if x),
            "hall": hall, "window": window, "photos": photos, "plan": "", "owner": "",
            "deadline": ledger.default_deadline(now()), "review_date": None,
            "citizen": {"consent": consent, "contact": (data.get("contact") or "") if consent else ""}}


def own_filter(p: Principal) -> dict[str, Any]:
    """The ledger entries a helper may read: the offline ones they logged."""
    return {"source": "offline", "created_by.id": p.id}


class OfflineHelp:
    """Problems logged by offline helpers, and what supervisors see of them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def log_problem(self, p: Principal, data: dict[str, Any]) -> dict[str, Any]:
        """Register a helper's problem as a ledger entry (status open, default deadline); the stored entry.

        Numbers in the text are masked (the ledger is read and exported widely); the citizen's contact is
        kept apart, only with consent.

        `data`: problem, matter, department, hall, window (the account's when empty), photos (the helper's
        own files), consent, contact.
        """
        account = await self.store.agents.find_one({"_id": p.id})
        if account is None or account.get("role") not in OFFLINE_ROLES:
            raise ApiError(403, "forbidden")
        photos = list(dict.fromkeys(data.get("photos") or []))
        await self._check_photos(p, photos)
        entry = problem_entry(data, found_by(account), photos)
        doc = ledger.new_entry(entry, {"id": p.id, "name": p.name, "role": p.role})
        await self.store.ledger.insert_one(doc)
        return doc

    async def _check_photos(self, p: Principal, photos: list[str]) -> None:
        if len(photos) > MAX_PHOTOS:
            raise ApiError(422, "invalid_payload", f"最多上传{MAX_PHOTOS}张照片。")
        if photos:
            mine = await self.store.media.count_documents({"_id": {"$in": photos}, "conversation_id": own_key(p.id)})
            if mine != len(photos):
                raise ApiError(422, "invalid_payload", "照片须是您本人刚上传的。")

    async def mine(self, p: Principal, limit: int = 200) -> list[dict[str, Any]]:
        """The helper's own entries, newest first."""
        return await self.store.ledger.find(own_filter(p), sort=[("created_at", -1)], limit=limit).to_list(None)

    async def one_of_mine(self, p: Principal, eid: str) -> dict[str, Any]:
        """One of the helper's own entries; 404 for anybody else's."""
        doc = await self.store.ledger.find_one({"_id": eid, **own_filter(p)})
        if doc is None:
            raise ApiError(404, "not_found")
        return doc

    async def summary(self, p: Principal, department: str | None = None,
                      since: dt.datetime | None = None) -> dict[str, Any]:
        """Offline problems in `p`'s scope: totals, by hall and by matter, and the open and overdue items."""
        q: dict[str, Any] = {"source": "offline", **ledger_filter(p, department)}
        if since is not None:
            q["created_at"] = {"$gte": since}
        docs = await self.store.ledger.find(q, sort=[("created_at", -1)], limit=5000).to_list(None)
        return summarize(docs, ledger.today())

    async def may_see_photo(self, p: Principal, media_id: str) -> bool:
        """Whether `p` (a ledger reader) may see a photo cited by an offline entry in their scope."""
        if p.role not in READERS:
            return False
        return await self.store.ledger.count_documents({"photos": media_id, **ledger_filter(p)}, limit=1) > 0


def _groups(docs: list[dict[str, Any]], key: str, day: dt.date) -> list[dict[str, Any]]:
    total: Counter[str] = Counter()
    open_: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    for d in docs:
        k = d.get(key) or ""
        total[k] += 1
        open_[k] += d.get("status") != "closed"
        overdue[k] += ledger.is_overdue(d, day)
    return [{key: k, "total": total[k], "open": open_[k], "overdue": overdue[k]}
            for k in sorted(total, key=lambda k: (-total[k], k))]


def summarize(docs: list[dict[str, Any]], day: dt.date) -> dict[str, Any]:
    """Totals, groups by hall and matter, and the open items (overdue first) of offline entries."""
    pending = [d for d in docs if d.get("status") != "closed"]
    pending.sort(key=lambda d: (not ledger.is_overdue(d, day), str(d.get("deadline") or "9999")))
    return {"total": len(docs), "open": len(pending), "overdue": sum(ledger.is_overdue(d, day) for d in docs),
            "closed": len(docs) - len(pending), "by_hall": _groups(docs, "hall", day),
            "by_matter": _groups(docs, "matter", day),
            "items": [ledger.wire(d) for d in pending[:ITEMS_SHOWN]]}

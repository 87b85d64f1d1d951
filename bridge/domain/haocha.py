"""Every rating reported to the national 好差评 system through a durable outbox (docs/haocha.md).

A rating stores its report first (`haocha_outbox`, id = report id); the worker sends it signed
(`core/signatures.py`, `Idempotency-Key` = report id) and retries with backoff; after
`HAOCHA_MAX_ATTEMPTS` the report is a dead letter, listed for supervisors and sent again on demand.
Without `HAOCHA_URL` reports are kept as `skipped` (not configured), never sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from pymongo.errors import DuplicateKeyError

from bridge.domain.haocha_levels import report_body
from bridge.infra.signed_post import PartnerClient
from core.clock import iso, now
from core.db import Store

log = logging.getLogger("bangban.haocha")
MAX_BACKOFF_S = 600.0
LEASE_S = 30.0


def report_id_of(rating: dict[str, Any]) -> str:
    """The report id of a rating: derived from it (its day, conversation and target), so a repeat is one report."""
    digest = hashlib.sha1(f"{rating['conversation_id']}:{rating['target']}".encode()).hexdigest()[:10].upper()
    return f"HC{rating.get('ts') or now():%Y%m%d}{digest}"


def report_wire(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["_id"], "state": item["state"], "attempts": item["attempts"],
            "last_error": item.get("last_error"), "department": item.get("department"),
            "created_at": iso(item.get("created_at")), "delivered_at": iso(item.get("delivered_at")),
            "report": item["report"]}


class HaochaOutbox:
    def __init__(self, store: Store, url: str, secret: str, max_attempts: int) -> None:
        self.store = store
        self.url = url
        self.max_attempts = max_attempts
        self.partner = PartnerClient(secret)

    async def matter_code(self, matter: str | None) -> str | None:
        """The matter's implementation code (`guide.code` of its matter record), else the matter id."""
        if not matter:
            return None
        doc = await self.store.matters.find_one({"_id": matter}, {"guide": 1})
        return ((doc or {}).get("guide") or {}).get("code") or matter

    async def report(self, rating: dict[str, Any]) -> dict[str, Any]:
        """Store the report of `rating` for delivery (once per rating: its id is derived from it)."""
        t = now()
        order = await self.store.work_orders.find_one({"conversation_id": rating["conversation_id"]}, {"_id": 1})
        report_id = report_id_of(rating)
        item = {"_id": report_id, "rating": {"conversation_id": rating["conversation_id"], "target": rating["target"]},
                "report": report_body(report_id, rating, await self.matter_code(rating.get("matter")),
                                      order["_id"] if order else None),
                "department": rating.get("department"), "created_at": t,
                "state": "pending" if self.url else "skipped", "attempts": 0, "next_try": t, "last_error": None}
        try:
            await self.store.haocha_outbox.insert_one(item)
        except DuplicateKeyError:  # reported before: the id (and the partner's Idempotency-Key) is the rating's
            return await self.store.haocha_outbox.find_one({"_id": report_id}) or item
        return item

    async def deliver_due(self, limit: int = 20) -> int:
        """Send due reports (each claimed for a lease first); return how many were delivered now."""
        t, delivered = now(), 0
        due = {"state": {"$in": ["pending", "sending"]}, "next_try": {"$lte": t}}
        for item in await self.store.haocha_outbox.find(due, limit=limit).to_list(None):
            claimed = await self.store.haocha_outbox.update_one(
                {"_id": item["_id"], "next_try": item["next_try"]},
                {"$set": {"state": "sending", "next_try": t + dt.timedelta(seconds=LEASE_S)}})
            if claimed.modified_count == 1:
                delivered += await self._send(item)
        return delivered

    async def _send(self, item: dict[str, Any]) -> bool:
        error = await self.partner.post(self.url, item["_id"], item["report"])
        attempts = item["attempts"] + 1
        if error is None:
            fields = {"state": "delivered", "delivered_at": now(), "last_error": None}
        elif attempts >= self.max_attempts:
            fields = {"state": "dead", "last_error": error}
            log.error("好差评 report dead-lettered", extra={"report": item["_id"], "error": error})
        else:
            backoff = min(MAX_BACKOFF_S, 2.0 ** min(attempts, 10) / 2)
            fields = {"state": "pending", "last_error": error, "next_try": now() + dt.timedelta(seconds=backoff)}
        await self.store.haocha_outbox.update_one({"_id": item["_id"]}, {"$set": {**fields, "attempts": attempts}})
        return error is None

    async def overview(self, scope: dict[str, Any], state: str = "") -> dict[str, Any]:
        """Counts by state and the latest reports (dead letters first when `state` is "dead")."""
        counts: dict[str, int] = {}
        for doc in await (await self.store.haocha_outbox.aggregate(
                [{"$match": scope}, {"$group": {"_id": "$state", "n": {"$sum": 1}}}])).to_list(None):
            counts[doc["_id"]] = doc["n"]
        q = {**scope, **({"state": state} if state else {})}
        items = await self.store.haocha_outbox.find(q, sort=[("created_at", -1)], limit=100).to_list(None)
        return {"counts": counts, "reports": [report_wire(i) for i in items]}

    async def retry(self, report_id: str, scope: dict[str, Any]) -> dict[str, Any] | None:
        """Send a dead letter again (attempts start over); None when there is none with this id in `scope`."""
        return await self.store.haocha_outbox.find_one_and_update(
            {"_id": report_id, "state": "dead", **scope},
            {"$set": {"state": "pending", "attempts": 0, "next_try": now()}}, return_document=True)

    async def close(self) -> None:
        await self.partner.close()

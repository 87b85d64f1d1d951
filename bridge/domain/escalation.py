"""Escalation to the 12345 hotline: work orders stored first, then delivered through an outbox.

Delivery is at least once from here (retries with backoff while the hotline is
down) and exactly once at the hotline, which deduplicates on the work order id
sent as `Idempotency-Key`. Requests both ways are signed over a timestamp and a nonce
(`core/signatures.py`); a callback older than 5 minutes or with a nonce seen before is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from typing import Any

import aiohttp
from pymongo.errors import DuplicateKeyError

from core import signatures
from core.clock import iso, now
from core.db import Store
from core.pii import mask_any, mask_pii

log = logging.getLogger("bangban.escalation")
MAX_BACKOFF_S = 60.0
LEASE_S = 30.0


def new_ticket_id(t: dt.datetime) -> str:
    return f"WO{t:%Y%m%d}{secrets.token_hex(4).upper()}"


def ticket_wire(order: dict) -> dict[str, Any]:
    return {"id": order["_id"], "conversation_id": order["conversation_id"], "status": order["status"],
            "department": order.get("department"), "matter": order.get("matter"),
            "summary": order.get("summary"), "created_at": iso(order.get("created_at")),
            "delivery": {"state": order["delivery"]["state"], "attempts": order["delivery"]["attempts"]}}


class Escalation:
    def __init__(self, store: Store, hotline_url: str, secret: str, public_url: str) -> None:
        self.store = store
        self.hotline_url = hotline_url
        self.secret = secret
        self.public_url = public_url
        self._http: aiohttp.ClientSession | None = None

    async def create(self, conv: dict, by: dict, summary: str) -> dict:
        """Store a work order for `conv` (delivery happens in the outbox worker)."""
        t = now()
        order = {
            "_id": new_ticket_id(t),
            "conversation_id": conv["_id"],
            "user": conv["user"],
            "channel": conv.get("channel"),
            "matter": conv.get("matter"),
            "department": conv.get("department"),
            "summary": mask_pii(summary),  # 12345 reads the full text through the transcript link
            "bot_summary": mask_any(conv.get("summary")),
            "transcript_url": f"{self.public_url}/api/v1/conversations/{conv['_id']}/transcript",
            "created_by": by,
            "created_at": t,
            "status": "created",
            "delivery": {"state": "pending", "attempts": 0, "next_try": t, "last_error": None},
        }
        await self.store.work_orders.insert_one(order)
        return order

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        return self._http

    async def deliver_due(self, limit: int = 20) -> int:
        """Send due work orders; return how many were delivered now."""
        t = now()
        due = await self.store.work_orders.find(
            {"delivery.state": {"$in": ["pending", "sending"]}, "delivery.next_try": {"$lte": t}},
            limit=limit,
        ).to_list(None)
        delivered = 0
        for order in due:
            lease = t + dt.timedelta(seconds=LEASE_S)
            claimed = await self.store.work_orders.update_one(
                {"_id": order["_id"], "delivery.next_try": order["delivery"]["next_try"]},
                {"$set": {"delivery.state": "sending", "delivery.next_try": lease}},
            )
            if claimed.modified_count != 1:
                continue  # another process took it
            if await self._send(order):
                delivered += 1
        return delivered

    async def _send(self, order: dict) -> bool:
        payload = {k: v for k, v in ticket_wire(order).items() if k != "delivery"}
        payload.update({"user": order["user"], "channel": order.get("channel"),
                        "transcript_url": order["transcript_url"], "bot_summary": order.get("bot_summary"),
                        "callback_url": f"{self.public_url}/api/v1/hotline/callback"})
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": order["_id"],
                   **signatures.signed_headers(self.secret, body)}
        attempts = order["delivery"]["attempts"] + 1
        try:
            async with self._session().post(self.hotline_url, data=body, headers=headers) as r:
                ok = r.status in (200, 201, 202, 409)
                error = None if ok else f"HTTP {r.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            ok, error = False, str(exc) or type(exc).__name__
        if ok:
            await self.store.work_orders.update_one(
                {"_id": order["_id"]},
                {"$set": {"delivery.state": "delivered", "delivery.attempts": attempts,
                          "delivery.delivered_at": now(), "status": "submitted"}},
            )
            log.info("work order delivered", extra={"ticket": order["_id"], "attempts": attempts})
            return True
        backoff = min(MAX_BACKOFF_S, 2.0 ** min(attempts, 6) / 2)
        await self.store.work_orders.update_one(
            {"_id": order["_id"]},
            {"$set": {"delivery.state": "pending", "delivery.attempts": attempts, "delivery.last_error": error,
                      "delivery.next_try": now() + dt.timedelta(seconds=backoff)}},
        )
        log.warning("work order delivery failed", extra={"ticket": order["_id"], "error": error})
        return False

    async def check_callback(self, body: bytes, headers) -> str | None:
        """None for a fresh, correctly signed callback (its nonce now spent), else the refusal code."""
        refused = signatures.check_request(self.secret, body, headers)
        if refused:
            return refused
        t = now()
        expires = t + dt.timedelta(seconds=2 * signatures.MAX_AGE_S)
        try:
            await self.store.callback_nonces.insert_one({"_id": headers[signatures.NONCE], "expires_at": expires})
        except DuplicateKeyError:
            return "replayed_callback"
        await self.store.callback_nonces.delete_many({"expires_at": {"$lt": t}})  # besides the TTL index
        return None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def cancel(self, order_id: str) -> None:
        """Cancel a work order that was never sent (its conversation moved on meanwhile)."""
        await self.store.work_orders.update_one({"_id": order_id}, {"$set": {
            "delivery.state": "cancelled", "status": "cancelled"}})

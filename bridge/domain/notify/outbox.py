"""The notification outbox: stored first, sent by whichever bridge process claims it, never lost.

Like the 12345 work orders (`domain/escalation.py`): an item is inserted under its idempotency key (a
second insert of the same key is a no-op), claimed with a lease by one process, sent, and on a failure
tried again after an exponential delay with jitter; after `NOTIFY_MAX_ATTEMPTS` it is dead-lettered for a
supervisor to look at and retry. At the moment of sending (not only when it was queued) an item is
skipped while the citizen has a connected socket, held back during the quiet hours of its provider,
skipped without a subscription (WeChat, Alipay) or past the citizen's hourly limit. Every outcome is on
the conversation's timeline (`notify_sent`, `notify_skipped`, `notify_dead`, `notify_retried`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from pymongo.errors import DuplicateKeyError

from bridge.domain.notify import policy
from bridge.domain.notify.citizens import CitizenPresence
from bridge.domain.notify.consent import Consents
from bridge.domain.timeline import Timeline
from bridge.infra.notify_providers.base import Notice, Outcome, Provider
from core.clock import iso, now
from core.db import Store
from core.notify_settings import NotifySettings
from core.ratelimit import WindowQuota

log = logging.getLogger("bangban.notify")
LEASE_S = 30.0
HOUR = 3600.0
OPEN_STATES = ("pending", "sending")
STATES = ("pending", "sending", "sent", "skipped", "dead")
SYSTEM = {"role": "system", "id": "notify"}


def item_wire(item: dict) -> dict[str, Any]:
    """An outbox item as supervisors see it (no address: the openid or phone stays here)."""
    return {"id": item["_id"], "conversation_id": item["conversation_id"], "kind": item["kind"],
            "provider": item["provider"], "state": item["state"], "attempts": item.get("attempts", 0),
            "count": item.get("count", 1), "reason": item.get("reason"), "last_error": item.get("last_error"),
            "department": item.get("department"), "created_at": iso(item.get("created_at")),
            "next_try": iso(item.get("next_try")), "sent_at": iso(item.get("sent_at"))}


def notice_of(item: dict) -> Notice:
    return Notice(key=item["_id"], kind=item["kind"], to=item["to"], template_id=item["template_id"],
                  data=item.get("data") or {}, title=item.get("title", ""), text=item.get("text", ""),
                  page=item.get("page", ""))


class NotifyOutbox:
    def __init__(self, store: Store, timeline: Timeline, consents: Consents, providers: dict[str, Provider],
                 settings: NotifySettings, here: Callable[[str], bool] | None = None,
                 citizens: CitizenPresence | None = None) -> None:
        self.store = store
        self.citizens = citizens or CitizenPresence(store, here=here)  # who has a socket, on any process
        self.timeline = timeline
        self.consents = consents
        self.providers = providers
        self.settings = settings
        self.quota = WindowQuota(store.user_quotas)

    async def add(self, item: dict) -> bool:
        """Store a new item (`_id` is its idempotency key); False when that key was stored before."""
        t = now()
        item = {"count": 1, "created_at": t, "state": "pending", "attempts": 0, "next_try": t,
                "last_error": None, "admitted": False, **item}
        try:
            await self.store.notify_outbox.insert_one(item)
        except DuplicateKeyError:
            return False
        return True

    async def count_into(self, item_id: str) -> None:
        """One more message coalesced into a queued item."""
        await self.store.notify_outbox.update_one({"_id": item_id, "state": {"$in": list(OPEN_STATES)}},
                                                  {"$inc": {"count": 1}})

    async def connected(self, user_id: str) -> bool:
        """Whether the citizen has a socket open on any live bridge process (`citizens.py`: no database
        round trip for a citizen connected here, nor in the steady state for one on another process)."""
        return await self.citizens.connected(user_id)

    # --- sending -------------------------------------------------------------------------------
    async def deliver_due(self, limit: int = 20) -> int:
        """Claim and process the items due now; return how many were sent."""
        t = now()
        due = await self.store.notify_outbox.find(
            {"state": {"$in": list(OPEN_STATES)}, "next_try": {"$lte": t}}, sort=[("next_try", 1)], limit=limit,
        ).to_list(None)
        sent = 0
        for item in due:
            claimed = await self.store.notify_outbox.update_one(
                {"_id": item["_id"], "state": {"$in": list(OPEN_STATES)}, "next_try": item["next_try"]},
                {"$set": {"state": "sending", "next_try": t + dt.timedelta(seconds=LEASE_S)}})
            if claimed.modified_count != 1:
                continue  # another process took it
            try:
                sent += await self._process(item)
            except Exception as exc:  # noqa: BLE001 - counted as a failed attempt (or retried when the lease ends)
                log.exception("notification failed", extra={"item": item["_id"]})
                try:
                    await self._record(item, Outcome("retry", "error", type(exc).__name__))
                except Exception:  # noqa: BLE001 - the database itself is failing: the lease ends, tried again
                    pass
        return sent

    async def _process(self, item: dict) -> bool:
        if await self.connected(item["user"]):
            await self._skip(item, "connected")
            return False
        s = self.settings
        quiet = policy.quiet_until(now(), s.quiet_hours) if item["provider"] in s.quiet_providers else None
        if quiet is not None:
            await self._set(item, {"state": "pending", "next_try": quiet})
            return False
        provider = self.providers.get(item["provider"])
        if provider is None or not provider.configured:
            await self._skip(item, "provider_not_configured")
            return False
        if not item.get("admitted"):
            refusal = await self._admit(item)
            if refusal:
                await self._skip(item, refusal)
                return False
        outcome = await provider.send(notice_of(item))
        await self._record(item, outcome)
        return outcome.state == "sent"

    async def _admit(self, item: dict) -> str | None:
        """Take the citizen's subscription and hourly allowance for a first attempt; why not, else None."""
        consented = item["provider"] in policy.CONSENTED
        if consented and not await self.consents.take(item["user"], item["provider"], item["template_id"]):
            return "no_consent"
        if not await self.quota.take(f"notify:{item['user']}", self.settings.per_citizen_per_hour, HOUR):
            if consented:
                await self.consents.give_back(item["user"], item["provider"], item["template_id"])
            return "rate_limited"
        await self._set(item, {"admitted": True})
        item["admitted"] = True
        return None

    async def _record(self, item: dict, outcome: Outcome) -> None:
        attempts = item.get("attempts", 0) + 1
        error = f"{outcome.code} {outcome.detail}".strip() or None
        if outcome.state == "sent":
            await self._set(item, {"state": "sent", "attempts": attempts, "sent_at": now(), "last_error": None})
            await self._on_timeline(item, "notify_sent", attempts=attempts)
            log.info("notification sent", extra={"item": item["_id"], "provider": item["provider"]})
        elif outcome.state == "refused":
            await self._skip(item, f"refused:{outcome.code}", attempts=attempts)
        elif outcome.state == "retry" and attempts < self.settings.max_attempts:
            delay = policy.backoff(attempts, self.settings.retry_base_s, self.settings.retry_max_s)
            await self._set(item, {"state": "pending", "attempts": attempts, "last_error": error,
                                   "next_try": now() + dt.timedelta(seconds=delay)})
            log.warning("notification failed, retried later", extra={"item": item["_id"], "error": error})
        else:
            await self._dead(item, attempts, error)

    async def _dead(self, item: dict, attempts: int, error: str | None) -> None:
        await self._set(item, {"state": "dead", "attempts": attempts, "last_error": error, "admitted": False})
        if item.get("admitted") and item["provider"] in policy.CONSENTED:  # the citizen's subscription is unused
            await self.consents.give_back(item["user"], item["provider"], item["template_id"])
        await self._on_timeline(item, "notify_dead", attempts=attempts, error=error)
        log.warning("notification dead-lettered", extra={"item": item["_id"], "error": error})

    async def _skip(self, item: dict, reason: str, **fields: Any) -> None:
        await self._set(item, {"state": "skipped", "reason": reason, **fields})
        if reason == "connected" and item.get("window"):  # back at the desk: the next reply opens a new window
            await self.store.notify_windows.update_one({"_id": item["window"], "item": item["_id"]},
                                                       {"$set": {"until": now()}})
        await self._on_timeline(item, "notify_skipped", reason=reason)

    async def _set(self, item: dict, fields: dict) -> None:
        await self.store.notify_outbox.update_one({"_id": item["_id"]}, {"$set": fields})

    async def _on_timeline(self, item: dict, event: str, **detail: Any) -> None:
        await self.timeline.add(item["conversation_id"], event, SYSTEM, {
            "notification": item["_id"], "provider": item["provider"], "kind": item["kind"],
            "count": item.get("count", 1), **detail})

    # --- supervisors ---------------------------------------------------------------------------
    async def retry(self, item_id: str, scope: dict, by: dict) -> dict | None:
        """Put a dead letter (within `scope`) back in the queue; None when there is no such dead letter."""
        res = await self.store.notify_outbox.update_one(
            {"_id": item_id, "state": "dead", **scope},
            {"$set": {"state": "pending", "attempts": 0, "next_try": now(), "admitted": False, "reason": None}})
        if res.modified_count != 1:
            return None
        item = await self.store.notify_outbox.find_one({"_id": item_id})
        await self.timeline.add(item["conversation_id"], "notify_retried", by, {"notification": item_id})
        return item

    async def overview(self, scope: dict, state: str = "", provider: str = "", limit: int = 100) -> dict:
        """Counts by state and provider within `scope`, and the latest items (filtered)."""
        counts = {p: dict.fromkeys(STATES, 0) for p in ("wechat", "alipay", "push", "sms")}
        cursor = await self.store.notify_outbox.aggregate([
            {"$match": scope}, {"$group": {"_id": {"p": "$provider", "s": "$state"}, "n": {"$sum": 1}}}])
        async for row in cursor:
            counts.setdefault(row["_id"]["p"], dict.fromkeys(STATES, 0))[row["_id"]["s"]] = row["n"]
        q = {**scope, **({"state": state} if state else {}), **({"provider": provider} if provider else {})}
        items = await self.store.notify_outbox.find(q, sort=[("created_at", -1)], limit=limit).to_list(None)
        return {"counts": counts, "items": [item_wire(i) for i in items]}

    async def close(self) -> None:
        for provider in self.providers.values():
            await provider.close()

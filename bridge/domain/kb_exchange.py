"""Knowledge exchange with the 12345 hotline: signed incremental exports, answers pulled back as drafts.

Export: the articles changed since the last acknowledged export (the cursor in `kb_exchange`) go out
as one batch (`kb_exchange_batches`, an outbox like the work orders: signed, `Idempotency-Key` = batch
id, retried with backoff). The cursor moves only when the hotline acknowledges the batch; one batch is
in flight at a time and its id is derived from its cursor, so two processes build the same batch once.
Import: the hotline's answers are pulled (signed request, signed response) after the last answer seen;
each becomes a pending KB draft (source "12345") unless our article is newer (recorded as stale).
The JSON format is in docs/hotline-exchange.md.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import aiohttp
from pymongo.errors import DuplicateKeyError

from bridge.domain.kb_exchange_wire import answer_outcome, article_export, batch_wire
from bridge.infra.signed_post import PartnerClient
from core import signatures
from core.catalogue import Catalogue
from core.clock import iso, now
from core.db import Store
from core.pii import mask_pii

log = logging.getLogger("bangban.kb_exchange")
MAX_BACKOFF_S = 300.0
LEASE_S = 30.0
SETTLE_S = 1.0  # a change younger than this waits for the next export (its write may not be visible yet)
STATE = "state"
HOTLINE = {"id": "12345", "name": "12345热线"}


class KbExchange:
    def __init__(self, store: Store, catalogue: Catalogue, url: str, secret: str, interval_s: float) -> None:
        self.store = store
        self.catalogue = catalogue
        self.url = url.rstrip("/")
        self.secret = secret
        self.interval_s = interval_s
        self.partner = PartnerClient(secret, timeout_s=10.0)

    async def state(self) -> dict[str, Any]:
        return await self.store.kb_exchange.find_one({"_id": STATE}) or {"_id": STATE}

    async def changes(self, since: dt.datetime | None, until: dt.datetime) -> list[dict[str, Any]]:
        """Live articles updated and versions published (waiting for their day) in (since, until]."""
        window = {"$lte": until, **({"$gt": since} if since else {})}
        live = await self.store.kb_articles.find({"updated_at": window}, sort=[("_id", 1)]).to_list(None)
        waiting = await self.store.kb_versions.find(
            {"status": "published", "applied": False, "published_at": window}, sort=[("_id", 1)]).to_list(None)
        return [article_export(d, "live") for d in live] + [article_export(d, "scheduled") for d in waiting]

    async def export(self, by: str) -> dict[str, Any] | None:
        """The batch in flight, else a new batch of what changed since the cursor (None: nothing changed)."""
        pending = await self.store.kb_exchange_batches.find_one({"state": {"$in": ["pending", "sending"]}})
        if pending is not None:
            return pending
        since = (await self.state()).get("cursor")
        until = now() - dt.timedelta(seconds=SETTLE_S)
        articles = await self.changes(since, until)
        if not articles:
            await self.store.kb_exchange.update_one({"_id": STATE}, {"$set": {"last_export_at": now()}}, upsert=True)
            return None
        batch = {"_id": f"KX{since:%Y%m%d%H%M%S%f}" if since else "KX-initial", "since": since, "until": until,
                 "articles": articles, "count": len(articles), "by": by, "created_at": until, "state": "pending",
                 "attempts": 0, "next_try": until, "last_error": None}
        try:
            await self.store.kb_exchange_batches.insert_one(batch)
        except DuplicateKeyError:  # another process built the batch of this cursor
            batch = await self.store.kb_exchange_batches.find_one({"_id": batch["_id"]})
        await self.store.kb_exchange.update_one({"_id": STATE}, {"$set": {"last_export_at": now()}}, upsert=True)
        return batch

    async def export_now(self, by: str) -> dict[str, Any] | None:
        """An on-demand export: build the batch and try to deliver it at once."""
        batch = await self.export(by)
        if batch is None:
            return None
        await self.deliver_due()
        return batch_wire(await self.store.kb_exchange_batches.find_one({"_id": batch["_id"]}))

    async def deliver_due(self) -> int:
        """Send the due batch (at most one is in flight); the cursor moves when the hotline takes it."""
        t = now()
        batch = await self.store.kb_exchange_batches.find_one(
            {"state": {"$in": ["pending", "sending"]}, "next_try": {"$lte": t}})
        if batch is None:
            return 0
        claimed = await self.store.kb_exchange_batches.update_one(
            {"_id": batch["_id"], "next_try": batch["next_try"]},
            {"$set": {"state": "sending", "next_try": t + dt.timedelta(seconds=LEASE_S)}})
        if claimed.modified_count != 1:
            return 0
        return int(await self._send(batch))

    async def _send(self, batch: dict[str, Any]) -> bool:
        payload = {"batch_id": batch["_id"], "source": "bangban", "since": iso(batch["since"]),
                   "until": iso(batch["until"]), "count": batch["count"], "articles": batch["articles"]}
        error = await self.partner.post(f"{self.url}/exports", batch["_id"], payload)
        attempts = batch["attempts"] + 1
        if error is not None:
            backoff = min(MAX_BACKOFF_S, 2.0 ** min(attempts, 8) / 2)
            await self.store.kb_exchange_batches.update_one({"_id": batch["_id"]}, {"$set": {
                "state": "pending", "attempts": attempts, "last_error": error,
                "next_try": now() + dt.timedelta(seconds=backoff)}})
            log.warning("knowledge export failed", extra={"batch": batch["_id"], "error": error})
            return False
        await self.store.kb_exchange_batches.update_one({"_id": batch["_id"]}, {"$set": {
            "state": "delivered", "attempts": attempts, "delivered_at": now(), "last_error": None}})
        await self.store.kb_exchange.update_one({"_id": STATE}, {"$set": {"cursor": batch["until"]}}, upsert=True)
        log.info("knowledge export delivered", extra={"batch": batch["_id"], "count": batch["count"]})
        return True

    async def pull(self) -> dict[str, int]:
        """Fetch the hotline's answers after the last one seen; each becomes a draft or is recorded as stale."""
        after = int((await self.state()).get("answers_after") or 0)
        headers = signatures.signed_headers(self.secret, b"")
        params = {"after": str(after)}
        async with self.partner.session().get(f"{self.url}/answers", params=params, headers=headers) as r:
            raw = await r.read()
            if r.status != 200:
                raise RuntimeError(f"12345 answers: HTTP {r.status}")
            refused = signatures.check_request(self.secret, raw, r.headers)
        if refused:
            raise RuntimeError(f"12345 answers: {refused}")
        counts = {"drafted": 0, "stale": 0, "seen": 0}
        for answer in json.loads(raw).get("answers", []):
            counts[await self._take(answer)] += 1
            after = max(after, int(answer["seq"]))
        await self.store.kb_exchange.update_one({"_id": STATE}, {"$set": {"answers_after": after}}, upsert=True)
        return counts

    async def _take(self, answer: dict[str, Any]) -> str:
        ours = await self.store.kb_articles.find_one({"_id": answer.get("article_id")}) \
            if answer.get("article_id") else None
        outcome, why = answer_outcome(answer, ours)
        record = {"_id": f"{answer['id']}@{answer.get('revision', 1)}", "answer_id": answer["id"],
                  "article_id": answer.get("article_id"), "outcome": outcome, "why": why,
                  "base_version": answer.get("base_version"), "effective_date": answer.get("effective_date"),
                  "received_at": now()}
        try:
            await self.store.kb_exchange_answers.insert_one(record)
        except DuplicateKeyError:
            return "seen"
        if outcome == "drafted":
            matter = (ours or {}).get("matter") or answer.get("matter")
            matter = matter if matter in self.catalogue.matters else None
            draft = {"_id": f"12345-{record['_id']}", "status": "pending", "matter": matter,
                     "department": self.catalogue.route(matter), "question": mask_pii(answer.get("question", "")),
                     "answer": mask_pii(answer.get("answer", ""))[:4000], "agent_answers": [],
                     "conversation_id": None, "agent": HOTLINE, "article_id": answer.get("article_id"),
                     "source": "12345", "hotline": {k: answer.get(k) for k in (
                         "id", "revision", "base_version", "effective_date", "updated_at")}, "created_at": now()}
            await self.store.kb_drafts.insert_one(draft)
            await self.store.kb_exchange_answers.update_one({"_id": record["_id"]}, {"$set": {"draft": draft["_id"]}})
        return outcome

    async def tick(self) -> None:
        """The periodic job: due retries on every tick; an export and a pull once the interval has passed."""
        last = (await self.state()).get("last_export_at")
        due = last is None or (now() - last).total_seconds() >= self.interval_s
        if due:
            await self.export("scheduler")
        await self.deliver_due()
        if not due:
            return
        try:
            await self.pull()
        except (aiohttp.ClientError, TimeoutError, RuntimeError) as exc:
            log.warning("12345 answers pull failed", extra={"error": str(exc) or type(exc).__name__})

    async def overview(self) -> dict[str, Any]:
        """The cursor, the recent batches and the recent answers (trainer console, supervisors)."""
        state = await self.state()
        batches = await self.store.kb_exchange_batches.find({}, {"articles": 0}, sort=[("created_at", -1)],
                                                           limit=20).to_list(None)
        answers = await self.store.kb_exchange_answers.find({}, sort=[("received_at", -1)], limit=50).to_list(None)
        return {"cursor": iso(state.get("cursor")), "answers_after": int(state.get("answers_after") or 0),
                "batches": [batch_wire(b) for b in batches],
                "answers": [{**{k: a.get(k) for k in ("answer_id", "article_id", "outcome", "why", "draft",
                                                     "base_version", "effective_date")},
                             "received_at": iso(a.get("received_at"))} for a in answers]}

    async def close(self) -> None:
        await self.partner.close()

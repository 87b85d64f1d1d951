"""Periodic duties of every bridge process; each action is a guarded write, so it fires once.

- heartbeat and reaping of dead processes' agent sessions;
- agents gone longer than the grace period: conversations requeued at the front;
- first-response alert at 60 s, optional reassignment at the configured limit;
- dispatch of waiting conversations; delivery of due work orders;
- bot turns left pending by a dead process (or stuck): re-run once, by one sweeper.
"""

from __future__ import annotations

import datetime as dt
import logging

from bridge.domain.assignment import Assignment
from bridge.domain.bot_turns import Bot
from bridge.domain.conversations import Conversations
from bridge.domain.escalation import Escalation
from bridge.domain.lifecycle import Lifecycle
from bridge.domain.presence import Presence
from bridge.infra.delivery import Delivery
from core.clock import iso, now
from core.db import Store
from core.settings import Settings

log = logging.getLogger("bangban.sweeper")


class Sweeper:
    def __init__(self, settings: Settings, store: Store, presence: Presence, conversations: Conversations,
                 lifecycle: Lifecycle, assignment: Assignment, delivery: Delivery, escalation: Escalation,
                 bot: Bot) -> None:
        self.settings = settings
        self.store = store
        self.presence = presence
        self.conversations = conversations
        self.lifecycle = lifecycle
        self.assignment = assignment
        self.delivery = delivery
        self.escalation = escalation
        self.bot = bot
        self._ticks = 0

    async def tick(self) -> None:
        self._ticks += 1
        await self.presence.heartbeat()
        if self._ticks % 5 == 1:
            await self.presence.reap_dead_processes()
        await self.grace_expired()
        await self.first_response()
        await self.dispatch_waiting()
        await self.escalation.deliver_due()
        await self.bot.recover_pending(self.settings.process_dead_s, self.settings.bot_turn_stuck_s)

    async def grace_expired(self) -> None:
        limit = now() - dt.timedelta(seconds=self.settings.grace_period_s)
        gone = await self.store.agents.find(
            {"status": {"$in": ["online", "away"]}, "disconnected_at": {"$ne": None, "$lt": limit}}
        ).to_list(None)
        for agent in gone:
            res = await self.store.agents.update_one(
                {"_id": agent["_id"], "disconnected_at": agent["disconnected_at"]},
                {"$set": {"status": "offline", "status_at": now()}},
            )
            if res.modified_count != 1:
                continue
            convs = await self.store.conversations.find({"state": "with_agent", "agent.id": agent["_id"]}).to_list(None)
            log.info("agent grace expired", extra={"agent": agent["_id"], "conversations": len(convs)})
            for conv in convs:
                await self.lifecycle.requeue(conv, {"role": "system", "id": "system"}, "agent_disconnected")

    async def first_response(self) -> None:
        t = now()
        alert_before = t - dt.timedelta(seconds=self.settings.first_response_alert_s)
        limit_s = self.settings.first_response_reassign_s
        reassign_before = t - dt.timedelta(seconds=limit_s) if limit_s > 0 else None
        # `fr_pending` (sparse index) marks only conversations awaiting a first reply: no scan of the open ones.
        # Only those assigned before the earlier of the two limits can call for anything (a burst of 1,000
        # handoffs made every process fetch all 1,000 every second); one that left `with_agent` before its
        # first reply keeps its mark until then, and is unmarked below.
        due = max(alert_before, reassign_before) if reassign_before is not None else alert_before
        pending = await self.store.conversations.find({"fr_pending": True, "assigned_at": {"$lt": due}}).to_list(None)
        late, stale = [], []
        for conv in pending:
            if conv["state"] != "with_agent" or conv.get("first_response_at") is not None:
                await self.conversations.update(conv["_id"], {"fr_pending": True}, {"$unset": {"fr_pending": ""}})
            else:
                if not conv.get("fr_alerted") and conv["assigned_at"] < alert_before:
                    late.append(conv)
                if reassign_before is not None and conv["assigned_at"] < reassign_before:
                    stale.append(conv)
        for conv in late:
            if await self.conversations.update(conv["_id"], {"fr_alerted": False, "assigned_at": conv["assigned_at"]},
                                              {"$set": {"fr_alerted": True}}) != 1:
                continue
            alert = {"kind": "first_response_late", "conversation_id": conv["_id"], "agent": conv["agent"],
                     "department": conv.get("department"), "assigned_at": iso(conv["assigned_at"]),
                     "waited_s": int((t - conv["assigned_at"]).total_seconds())}
            await self.store.alerts.insert_one({**alert, "ts": t})
            await self.delivery.to_staff(conv["agent"]["id"], "alert", alert)
            await self.delivery.to_supervisors(conv.get("department") or "", "alert", alert)
        for conv in stale:
            await self.lifecycle.requeue(conv, {"role": "system", "id": "system"}, "first_response_timeout")

    async def dispatch_waiting(self) -> None:
        for department in await self.store.conversations.distinct("department", {"state": "queued"}):
            if department:
                await self.assignment.dispatch(department)

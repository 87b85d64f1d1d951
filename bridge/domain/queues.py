"""Per-department queues of waiting conversations, persisted in MongoDB.

A queued conversation carries `queue_key` = "<priority>:<queued_at>:<id>"; priority 0
puts requeued conversations (agent gone, reassigned) at the front, 1 is normal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bridge.domain.auth import Principal
from bridge.domain.conversations import state_event
from bridge.domain.queue_promise import left_message_info
from bridge.domain.scope import ALL, visible_departments
from bridge.domain.wait_estimate import FALLBACK_HANDLE_S, WaitEstimator
from bridge.infra.coalesce import Coalescer
from bridge.infra.delivery import Delivery
from core.clock import now
from core.db import Store
from core.workcal import HelpStatus, help_status

DEFAULT_HANDLE_S = FALLBACK_HANDLE_S
NOTIFY_PAUSE_S = 0.25  # under a burst of handoffs, positions are refreshed at most 4 times a second


def queue_key(queued_at: dt.datetime, front: bool, conversation_id: str) -> str:
    """The conversation's place in its queue; the id breaks ties of handoffs in the same millisecond
    (two users would otherwise share a position)."""
    return f"{0 if front else 1}:{queued_at.isoformat(timespec='milliseconds')}:{conversation_id}"


class Queues:
    def __init__(self, store: Store, delivery: Delivery, estimator: WaitEstimator | None = None) -> None:
        self.store = store
        self.delivery = delivery
        self.estimator = estimator or WaitEstimator(store)
        self.hours: Callable[[str], HelpStatus] = help_status  # a department's help hours now
        self._notifier = Coalescer(self._notify, pause_s=NOTIFY_PAUSE_S)

    async def waiting(self, department: str, limit: int = 1000) -> list[dict]:
        cursor = self.store.conversations.find(
            {"state": "queued", "department": department}, sort=[("queue_key", 1)], limit=limit
        )
        return await cursor.to_list(None)

    async def head(self, department: str) -> dict | None:
        """The next conversation to dispatch (calls wait in the call centre's queue: never dispatched)."""
        return await self.store.conversations.find_one(
            {"state": "queued", "department": department, "channel": {"$ne": "phone"}}, sort=[("queue_key", 1)]
        )

    async def position(self, conv: dict) -> int:
        ahead = await self.store.conversations.count_documents(
            {"state": "queued", "department": conv["department"], "queue_key": {"$lt": conv["queue_key"]}}
        )
        return ahead + 1

    async def _capacity_online(self, department: str) -> int:
        agents = await self.store.agents.find(
            {"departments": department, "status": "online", "disabled": {"$ne": True}}, {"capacity": 1}
        ).to_list(None)
        return sum(a.get("capacity", 1) for a in agents)

    async def estimated_wait(self, department: str, position: int, capacity: int | None = None) -> int:
        """Seconds a user at `position` may wait: measured handling time spread over online capacity."""
        if capacity is None:
            capacity = await self._capacity_online(department)
        return await self.estimator.estimate(department, position, capacity)

    async def stats(self, departments: list[str] | None = None) -> list[dict[str, Any]]:
        """Waiting count and oldest wait (s) per department."""
        query: dict[str, Any] = {"state": "queued"}
        if departments is not None and ALL not in departments:
            query["department"] = {"$in": departments}
        docs = await self.store.conversations.find(query, {"department": 1, "queued_at": 1}).to_list(None)
        t = now()
        out: dict[str, dict[str, Any]] = {}
        for d in docs:
            s = out.setdefault(d["department"], {"department": d["department"], "waiting": 0, "oldest_wait_s": 0})
            s["waiting"] += 1
            s["oldest_wait_s"] = max(s["oldest_wait_s"], int((t - d["queued_at"]).total_seconds()))
        if departments is not None:
            for dep in departments:
                if dep != ALL:
                    out.setdefault(dep, {"department": dep, "waiting": 0, "oldest_wait_s": 0})
        return sorted(out.values(), key=lambda s: s["department"])

    async def stats_for(self, principal: Principal) -> list[dict[str, Any]]:
        """Queue figures of the departments `principal` sees."""
        return await self.stats(visible_departments(principal))

    async def state_info(self, conv: dict) -> dict[str, Any]:
        """The state event of `conv`, with queue position and estimated wait while queued (in help hours)."""
        if conv["state"] == "queued" and conv.get("left_message"):
            return state_event(conv, **left_message_info(conv))
        if conv["state"] == "queued":
            pos = await self.position(conv)
            return state_event(conv, queue_position=pos,
                               estimated_wait_s=await self.estimated_wait(conv["department"], pos))
        return state_event(conv)

    async def notify(self, department: str) -> None:
        """Tell every waiting user their position and wait; tell agents the queue size.

        Requests that arrive while a notification of the department is going out share the
        next one.
        """
        await self._notifier.run(department)

    async def _notify(self, department: str) -> None:
        waiting = await self.waiting(department)
        capacity = await self._capacity_online(department)
        for pos, conv in enumerate(waiting, start=1):
            if conv.get("left_message"):  # promised a reply later: the state without position or wait
                await self.delivery.to_conversation(conv, "state", state_event(conv, **left_message_info(conv)))
                continue
            await self.delivery.to_conversation(
                conv, "state",
                state_event(conv, queue_position=pos,
                            estimated_wait_s=await self.estimated_wait(department, pos, capacity)),
            )
        oldest = int((now() - waiting[0]["queued_at"]).total_seconds()) if waiting else 0
        await self.delivery.to_department(
            department, "queue", {"queues": [{"department": department, "waiting": len(waiting),
                                              "oldest_wait_s": oldest}]}
        )

"""Assignment of queued conversations to agents, atomic across bridge processes.

Two guarded writes make an assignment: reserve a slot on the agent
(`active < capacity`, `$inc`) and claim the conversation (`state: queued` →
`with_agent`). Whoever loses either race undoes its own reservation, so no
conversation ever goes to two agents and no agent exceeds their capacity.
Both writes share bulk writes with the ones arriving together (`ClaimBatcher`, each caller still
learns whether its own guard matched).
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from bridge.domain.auth import Principal
from bridge.domain.conversations import Conversations, conversation_card
from bridge.domain.messaging import Messaging
from bridge.domain.queues import Queues
from bridge.domain.scope import department_filter
from bridge.infra.coalesce import Coalescer
from bridge.infra.delivery import Delivery
from bridge.infra.message_store import MessageStore, wire
from bridge.infra.write_batch import ClaimBatcher
from core.clock import now
from core.db import Store

log = logging.getLogger("bangban.assignment")
SLOT_TOKENS = "slot_claims"
CANDIDATE_FIELDS = {"name": 1, "capacity": 1, "active": 1, "last_assigned_at": 1, "departments": 1, "role": 1}


class Assignment:
    def __init__(self, store: Store, conversations: Conversations, messages: MessageStore,
                 messaging: Messaging, queues: Queues, delivery: Delivery) -> None:
        self.store = store
        self.conversations = conversations
        self.messages = messages
        self.messaging = messaging
        self.queues = queues
        self.delivery = delivery
        self._dispatcher: Coalescer[int] = Coalescer(self._dispatch)
        # reservations arriving together share one guarded bulk write (tokens tell each who won)
        self._slots = ClaimBatcher(store.agents, SLOT_TOKENS, keep=32)
        # concurrent handoffs into one department share one read of "who is free, does anyone wait"
        self._views: Coalescer[tuple[bool, list[dict]]] = Coalescer(self._view)

    async def candidates(self, department: str) -> list[dict]:
        """Online agents of `department` with free capacity: least loaded, then longest idle."""
        agents = await self.store.agents.find(
            {"departments": department, "status": "online", "disabled": {"$ne": True},
             "role": {"$in": ["agent", "supervisor"]}}, CANDIDATE_FIELDS,
        ).to_list(None)
        free = [a for a in agents if a.get("active", 0) < a.get("capacity", 5)]
        epoch = now().replace(year=2000)
        free.sort(key=lambda a: (a.get("active", 0), a.get("last_assigned_at") or epoch))
        return free

    async def _view(self, department: str) -> tuple[bool, list[dict]]:
        """(someone waits in the department's queue, free candidates), read together."""
        head, candidates = await asyncio.gather(self.queues.head(department), self.candidates(department))
        return head is not None, candidates

    async def agent(self, agent_id: str) -> dict | None:
        """A staff account that is not disabled, or None."""
        return await self.store.agents.find_one({"_id": agent_id, "disabled": {"$ne": True}})

    async def staff_for(self, principal: Principal) -> list[dict]:
        """Agents and supervisors of the departments `principal` sees (no password hashes)."""
        query = {"role": {"$in": ["agent", "supervisor"]}, **department_filter(principal, "departments")}
        return await self.store.agents.find(query, {"password_hash": 0, SLOT_TOKENS: 0}).to_list(None)

    async def went_online(self, agent: dict) -> dict:
        """An agent came online: serve their departments' queues; their account afterwards."""
        for department in agent.get("departments", []):
            await self.dispatch(department)
        return await self.store.agents.find_one({"_id": agent["_id"]}) or agent

    async def reserve(self, agent_id: str, capacity: int | None = None) -> bool:
        """Take one of the agent's free slots; False if they have none (or are not online)."""
        if capacity is None:
            agent = await self.store.agents.find_one({"_id": agent_id}, {"capacity": 1})
            if not agent:
                return False
            capacity = agent.get("capacity", 5)
        return await self._slots.claim({"_id": agent_id, "status": "online", "active": {"$lt": capacity}},
                                       {"$inc": {"active": 1}, "$set": {"last_assigned_at": now()}})

    async def release(self, agent_id: str) -> None:
        await self.store.agents.update_one({"_id": agent_id, "active": {"$gt": 0}}, {"$inc": {"active": -1}})

    async def claim(self, conv: dict, agent: dict, by: dict | None, from_states: tuple[str, ...] = ("queued",),
                    extra_filter: dict | None = None) -> dict | None:
        """Give `conv` to `agent` (slot already reserved); None if someone else got it."""
        t = now()
        updated = await self.conversations.transition(
            conv["_id"], from_states,
            {"state": "with_agent", "agent": {"id": agent["_id"], "name": agent["name"]},
             "assigned_at": t, "first_response_at": None, "fr_alerted": False, "fr_pending": True},
            event="assigned", by=by, detail={"agent": agent["_id"]}, extra_filter=extra_filter,
            add_to_set={"served_by": agent["_id"]},
        )
        if updated is None:
            return None
        await self.announce(updated, agent)
        return updated

    async def announce(self, conv: dict, agent: dict, before: list[tuple[str, dict]] | None = None) -> None:
        """Tell the agent (with the history) and the user; `before`: notices (text, meta) stored first, in
        the same insert as the "joined" one."""
        joined = (f"帮办人员{agent['name']}已接入，将为您服务。",
                  {"event": "agent_joined", "agent": {"id": agent["_id"], "name": agent["name"]}})
        history = self.messages.recent(conv["_id"])  # a young conversation stored here: known without a read
        if history is None:
            history = await self.messages.since(conv["_id"], 0, 1000)
        await self.delivery.to_staff(
            agent["_id"], "assigned",
            {"conversation": conversation_card(conv), "messages": [wire(m) for m in history]},
        )
        await self.messaging.notices(conv, [*(before or []), joined])
        await self.conversations.publish_state(conv)

    async def claim_handoff(self, conv: dict, queued: dict[str, Any], by: dict, detail: dict,
                            notice: tuple[str, dict]) -> dict | None:
        """Hand a bot conversation straight to a free agent when nobody waits in its department.

        The cheap path of a handoff: one slot reserved, one guarded write (bot → with_agent, with
        everything the queued state would have held), one timeline insert, one insert of both
        notices. None when others wait (the queue's order comes first), nobody had room, or the
        conversation left the bot meanwhile; the caller then queues it the usual way. The read of
        the department (queue head, free agents) is shared by the handoffs that arrive together.
        """
        waiting, candidates = await self._views.run(queued["department"])
        if waiting or not candidates:
            return None
        # handoffs at the same moment would all race for the same least-loaded agent: equally loaded
        # agents are tried in random order, so concurrent claims mostly reserve different ones
        candidates = sorted(random.sample(candidates, len(candidates)), key=lambda a: a.get("active", 0))
        for agent in candidates:
            if not await self.reserve(agent["_id"], agent.get("capacity", 5)):
                continue
            fields = {**queued, "state": "with_agent", "agent": {"id": agent["_id"], "name": agent["name"]},
                      "assigned_at": queued["queued_at"], "first_response_at": None, "fr_alerted": False,
                      "fr_pending": True}
            updated = await self.conversations.transition(
                conv["_id"], ("bot",), fields, event="handoff", by=by, detail=detail,
                add_to_set={"served_by": agent["_id"]}, also=[("assigned", None, {"agent": agent["_id"]})],
                known=conv)
            if updated is None:
                await self.release(agent["_id"])
                return None
            await self.announce(updated, agent, before=[notice])
            return updated
        return None

    async def dispatch(self, department: str) -> int:
        """Assign waiting conversations of `department` while agents have room; count assigned.

        Concurrent calls in this process share runs (the running one looks again); other
        processes may dispatch at the same time, the guarded writes keep that safe.
        """
        return await self._dispatcher.run(department)

    async def _dispatch(self, department: str, max_rounds: int = 50) -> int:
        assigned = 0
        for _ in range(max_rounds):
            head = await self.queues.head(department)
            if head is None:
                break
            done = False
            for agent in await self.candidates(department):
                if not await self.reserve(agent["_id"], agent.get("capacity", 5)):
                    continue
                if await self.claim(head, agent, None) is not None:
                    assigned += 1
                    done = True
                    break
                await self.release(agent["_id"])
                done = True  # the head was taken elsewhere: look again
                break
            if not done:
                break
        if assigned:
            log.info("dispatched", extra={"department": department, "assigned": assigned})
            await self.queues.notify(department)
        return assigned

    async def assign_to_agent(self, conv: dict, agent_id: str, by: dict, from_states: tuple[str, ...]) -> Any:
        """Direct assignment (transfer to an agent, supervisor reassign)."""
        agent = await self.agent(agent_id)
        if agent is None or agent.get("status") != "online":
            return None
        if not await self.reserve(agent_id):
            return None
        updated = await self.claim(conv, agent, by, from_states=from_states)
        if updated is None:
            await self.release(agent_id)
        return updated

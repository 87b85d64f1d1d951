"""Conversations: creation, reads, guarded state transitions (messages go through `messaging.py`)."""

from __future__ import annotations

import uuid
from typing import Any

from bridge.domain.auth import Principal
from bridge.domain.scope import department_filter, sees_department
from bridge.domain.timeline import FIELD as TIMELINE
from bridge.domain.timeline import entry
from bridge.infra.conv_cache import ConversationCache
from bridge.infra.delivery import Delivery
from bridge.infra.read_batch import ReadBatcher
from bridge.infra.write_batch import ClaimBatcher, InsertBatcher, UpdateBatcher
from core.clock import iso, now
from core.db import Store

STATES = ("bot", "queued", "with_agent", "escalated", "closed")
OPEN_STATES = ("bot", "queued", "with_agent", "escalated")


def conversation_card(conv: dict) -> dict[str, Any]:
    """A conversation as agents see it in `assigned` and lists."""
    return {
        "id": conv["_id"],
        "user": conv["user"],
        "channel": conv.get("channel"),
        "matter": conv.get("matter"),
        "department": conv.get("department"),
        "state": conv["state"],
        "summary": conv.get("summary"),
        "agent": conv.get("agent"),
        "created_at": iso(conv.get("created_at")),
        "queued_at": iso(conv.get("queued_at")),
        "assigned_at": iso(conv.get("assigned_at")),
        "first_response_at": iso(conv.get("first_response_at")),
        "left_message": conv.get("left_message", False),
        "scope": conv.get("scope"),
        **({"phone": {k: iso(v) if k.endswith("_at") else v for k, v in conv["phone"].items()}}
           if conv.get("phone") else {}),  # a call's card: caller number masked
    }


def state_event(conv: dict, **extra: Any) -> dict[str, Any]:
    """The contract's `state` event for a conversation."""
    data: dict[str, Any] = {"conversation_id": conv["_id"], "state": conv["state"]}
    if conv.get("department"):
        data["department"] = conv["department"]
    if conv.get("agent") and conv["state"] in ("with_agent", "escalated"):
        data["agent"] = conv["agent"]
    if conv.get("ticket"):
        data["ticket"] = conv["ticket"]
    data.update(extra)
    return data


class Conversations:
    def __init__(self, store: Store, delivery: Delivery, cache: ConversationCache | None = None) -> None:
        self.store = store
        self.delivery = delivery
        self.cache = cache or ConversationCache()
        # a burst of new conversations shares insert commands; unguarded field writes share updates
        self._inserts = InsertBatcher(store.conversations)
        self._sets = UpdateBatcher(store.conversations)
        # guarded transitions arriving together share one bulk write; a token tells each caller if it won
        self._claims = ClaimBatcher(store.conversations, "transition_tokens")
        self._reads = ReadBatcher(store.conversations)  # a burst of cache misses shares one find

    async def get(self, conversation_id: str, fresh: bool = False) -> dict | None:
        """The conversation (from the coherent cache unless `fresh`), or None."""
        if not fresh:
            doc = self.cache.get(conversation_id)
            if doc is not None:
                return doc
        doc = await self._reads.get(conversation_id)
        if doc is not None:
            self.cache.put(doc)
        return doc

    async def update(self, conversation_id: str, query: dict[str, Any], update: dict[str, Any]) -> int:
        """A guarded update of one conversation; every write goes through here (cache coherence)."""
        result = await self.store.conversations.update_one({"_id": conversation_id, **query}, update)
        await self.cache.invalidate(conversation_id)
        return result.modified_count

    async def delete(self, conversation_id: str) -> None:
        """Remove a conversation that never got its first message (its `created` entry goes with it)."""
        await self.store.conversations.delete_one({"_id": conversation_id})
        await self.cache.invalidate(conversation_id)

    def new(self, user: Principal, matter: str | None) -> dict:
        """A conversation document for `user`'s first message (not yet stored)."""
        t = now()
        return {
            "_id": uuid.uuid4().hex,
            "user": {"id": user.id, "name": user.name, "kind": user.kind},
            "channel": user.channel,
            "state": "bot",
            "matter": matter,
            "created_matter": matter,  # what the `created` timeline entry shows (`timeline.created_entry`)
            "scope": None,
            "department": None,
            "agent": None,
            "served_by": [],
            "created_at": t,
            "updated_at": t,
            "handed_off": False,
            "escalated": False,
            "bot_resolved": None,
            "resolved": None,
        }

    async def insert(self, conv: dict) -> None:
        """Store a new conversation; its `created` timeline entry is read from it (`timeline.created_entry`)."""
        await self._inserts.insert(conv)
        self.cache.put(conv)

    async def transition(
        self,
        conversation_id: str,
        from_states: tuple[str, ...],
        fields: dict[str, Any],
        *,
        event: str,
        by: dict | None,
        detail: dict | None = None,
        extra_filter: dict | None = None,
        unset: dict | None = None,
        add_to_set: dict | None = None,
        also: list[tuple[str, dict | None, dict | None]] | None = None,
        known: dict | None = None,
    ) -> dict | None:
        """Atomically move a conversation from one of `from_states`; None if it was not there.

        The timeline entry (and `also`: more entries (event, by, detail) of the same moment) is appended
        to the conversation's `timeline` by the same write.
        `known`: the conversation as the caller has it; the result is then built from it and `fields`
        instead of read back (one round trip less; fields the caller's copy lacks may be stale).
        """
        query: dict[str, Any] = {"state": {"$in": list(from_states)}}
        if extra_filter:
            query.update(extra_filter)
        t = now()
        entries = [entry(e, b, d, t) for e, b, d in [(event, by, detail), *(also or [])]]
        update: dict[str, Any] = {"$set": {**fields, "updated_at": t}, "$push": {TIMELINE: {"$each": entries}}}
        if unset:
            update["$unset"] = unset
        if add_to_set:
            update["$addToSet"] = add_to_set
        won = await self._claims.claim({"_id": conversation_id, **query}, update)
        await self.cache.invalidate(conversation_id)
        if not won:
            return None
        if known is None:
            return await self.get(conversation_id, fresh=True)
        doc = {k: v for k, v in known.items() if k not in (unset or {})} | update["$set"]
        doc[TIMELINE] = [*known.get(TIMELINE, []), *entries]
        for key, value in (add_to_set or {}).items():
            doc[key] = list(dict.fromkeys([*doc.get(key, []), value]))
        return doc

    async def set_fields(self, conversation_id: str, fields: dict[str, Any]) -> None:
        """Unconditional field writes (what the bot learned, a transfer note): batched with others."""
        await self._sets.update({"_id": conversation_id}, {"$set": fields})
        await self.cache.invalidate(conversation_id)

    async def update_grouped(self, conversation_id: str, query: dict[str, Any], update: dict[str, Any]) -> None:
        """A guarded update whose caller needs no matched count (a first response): batched with others.

        The caches of every process are patched rather than dropped (`ConversationCache.patch`)."""
        await self._sets.update({"_id": conversation_id, **query}, update)
        await self.cache.patch(conversation_id, query, update)

    async def mark_user_read(self, conversation_id: str, seq: int) -> None:
        """The user's read mark; never read from the cache, so written without invalidating it."""
        # `$max` keeps the mark monotonic without a condition (an `$or` filter made the embedded
        # database scan the collection)
        await self.store.conversations.update_one({"_id": conversation_id}, {"$max": {"user_read_seq": seq}})

    async def of_user(self, user_id: str, limit: int = 20) -> list[dict]:
        """A user's latest conversations, newest first."""
        return await self.store.conversations.find(
            {"user.id": user_id}, sort=[("created_at", -1)], limit=limit).to_list(None)

    async def of_agent(self, agent_id: str) -> list[dict]:
        """An agent's open conversations, oldest assignment first."""
        return await self.store.conversations.find(
            {"agent.id": agent_id, "state": {"$in": ["with_agent", "escalated"]}}, sort=[("assigned_at", 1)]
        ).to_list(None)

    async def open_for(self, principal: Principal, limit: int = 500) -> list[dict]:
        """Open conversations of the departments `principal` sees, newest first."""
        query = {"state": {"$in": list(OPEN_STATES)}, **department_filter(principal)}
        return await self.store.conversations.find(query, sort=[("created_at", -1)], limit=limit).to_list(None)

    async def publish_state(self, conv: dict, **extra: Any) -> None:
        await self.delivery.to_conversation(conv, "state", state_event(conv, **extra))


def can_access(principal: Principal, conv: dict | None) -> bool:
    """Whether `principal` may read and act on `conv` (None: never)."""
    if conv is None:
        return False
    if principal.role == "user":
        return conv["user"]["id"] == principal.id
    if principal.role == "admin":
        return True
    if principal.role == "supervisor":
        return sees_department(principal, conv.get("department"))
    if principal.role == "agent":
        agent = conv.get("agent")
        return bool(agent) and agent["id"] == principal.id and conv["state"] in ("with_agent", "escalated")
    return False

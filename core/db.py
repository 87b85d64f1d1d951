"""Storage layer: one AsyncMongoClient, the collection names, and the indexes.

This module owns every collection name; other modules reach collections through
`Store` attributes, never by string. `ensure_indexes()` is idempotent and runs at
startup of every process that writes. The same code runs against the embedded
secantusdb server and a real MongoDB 7+ replica set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pymongo
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from core.settings import Settings, get_settings

# name -> indexes
INDEXES: dict[str, list[IndexModel]] = {
    "agents": [
        IndexModel([("username", ASCENDING)], unique=True, name="username_unique"),
        IndexModel([("departments", ASCENDING), ("status", ASCENDING)], name="dept_status"),
    ],
    "conversations": [
        IndexModel([("user.id", ASCENDING), ("created_at", DESCENDING)], name="user_recent"),
        IndexModel(
            [("state", ASCENDING), ("department", ASCENDING), ("queue_key", ASCENDING)],
            name="queue_order",
        ),
        IndexModel([("agent.id", ASCENDING), ("state", ASCENDING)], name="agent_state"),
        # set only while an assigned conversation awaits the agent's first reply: the timers' lookup
        IndexModel([("fr_pending", ASCENDING)], name="fr_pending", sparse=True),
        IndexModel([("created_at", DESCENDING)], name="created"),
    ],
    "messages": [
        IndexModel([("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True, name="conv_seq"),
        IndexModel(
            [("sender.id", ASCENDING), ("client_msg_id", ASCENDING)],
            unique=True,
            name="client_msg_unique",
            partialFilterExpression={"client_msg_id": {"$type": "string"}},
        ),
        # set only on user messages whose bot turn is in flight (bridge/domain/bot_turns.py): the
        # sweeper's lookup of orphaned turns
        IndexModel([("bot_turn.at", ASCENDING)], name="bot_turn", sparse=True),
    ],
    "timeline": [IndexModel([("conversation_id", ASCENDING), ("ts", ASCENDING)], name="conv_ts")],
    "work_orders": [
        IndexModel([("conversation_id", ASCENDING)], name="conv"),
        IndexModel([("delivery.state", ASCENDING), ("delivery.next_try", ASCENDING)], name="outbox"),
    ],
    "ratings": [
        IndexModel([("conversation_id", ASCENDING), ("target", ASCENDING)], unique=True, name="one_per_target"),
        IndexModel([("followed_up", ASCENDING), ("ts", ASCENDING)], name="followed_up"),
    ],
    "kb_articles": [
        IndexModel([("matter", ASCENDING), ("aspect", ASCENDING)], name="matter_aspect"),
    ],
    "kb_drafts": [IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="status_created")],
    "unanswered": [
        IndexModel([("status", ASCENDING), ("deadline", ASCENDING)], name="status_deadline"),
        IndexModel([("matter", ASCENDING)], name="matter"),
    ],
    "ledger": [IndexModel([("status", ASCENDING), ("deadline", ASCENDING)], name="status_deadline")],
    "audit": [IndexModel([("kind", ASCENDING), ("ts", DESCENDING)], name="kind_ts")],
    "media": [IndexModel([("conversation_id", ASCENDING)], name="conv")],
    "cobrowse_events": [IndexModel([("conversation_id", ASCENDING), ("ts", ASCENDING)], name="conv_ts")],
    "departments": [],
    "matters": [IndexModel([("department", ASCENDING)], name="department")],
    "trainer_history": [IndexModel([("ts", DESCENDING)], name="ts")],
    "trainer_jobs": [IndexModel([("started_at", DESCENDING)], name="started")],
    "kb_versions": [
        IndexModel([("article_id", ASCENDING), ("version", DESCENDING)], name="article_version"),
        IndexModel([("status", ASCENDING), ("applied", ASCENDING)], name="status_applied"),
    ],
    "locks": [],
    "sessions": [
        IndexModel([("agent_id", ASCENDING)], name="agent"),
        IndexModel([("process_id", ASCENDING)], name="process"),
    ],
    "processes": [],
    # calls and co-browse sessions with several bridge processes: who holds each (media/owners.py)
    "media_sessions": [
        IndexModel([("session_id", ASCENDING)], name="session"),
        IndexModel([("process_id", ASCENDING)], name="process"),
        IndexModel([("conversation_id", ASCENDING)], name="conversation"),
    ],
    "alerts": [IndexModel([("ts", DESCENDING)], name="ts")],
    # login failures per username and address (bridge/domain/login_throttle.py), removed once expired
    "login_attempts": [IndexModel([("expires_at", ASCENDING)], name="ttl", expireAfterSeconds=0)],
    "kb_meta": [],
    # nonces of 12345 callbacks, kept past their 5-minute window (bridge/domain/escalation.py)
    "callback_nonces": [IndexModel([("expires_at", ASCENDING)], name="ttl", expireAfterSeconds=0)],
    # per-citizen limits across processes (bridge/domain/citizen_limits.py)
    "user_sockets": [IndexModel([("user", ASCENDING)], name="user")],
    "user_quotas": [IndexModel([("expires_at", ASCENDING)], name="expires", expireAfterSeconds=0)],
    # the phone line (bridge/domain/phone*.py): call id -> conversation, CTI events handled once (kept 30 days,
    # caller number left out), verified citizen numbers as keyed hashes
    "phone_calls": [],
    "cti_events": [IndexModel([("received_at", ASCENDING)], name="ttl", expireAfterSeconds=30 * 86400)],
    "phone_links": [IndexModel([("user_id", ASCENDING)], name="user")],
    # citizen notifications (bridge/domain/notify/): the outbox, coalescing windows, consents, contacts
    "notify_outbox": [
        IndexModel([("state", ASCENDING), ("next_try", ASCENDING)], name="due"),
        IndexModel([("conversation_id", ASCENDING)], name="conv"),
        IndexModel([("created_at", DESCENDING)], name="created"),
    ],
    "notify_windows": [IndexModel([("expires_at", ASCENDING)], name="ttl", expireAfterSeconds=0)],
    "notify_consents": [IndexModel([("user", ASCENDING)], name="user")],
    "notify_contacts": [],
    # trainers' review of bot conversations (bridge/trainer/review.py): _id is the conversation id
    "conv_reviews": [IndexModel([("status", ASCENDING), ("at", DESCENDING)], name="status_at")],
    # the 12345 knowledge exchange (bridge/domain/kb_exchange.py): cursors, export batches, answers received
    "kb_exchange": [],
    "kb_exchange_batches": [IndexModel([("state", ASCENDING), ("next_try", ASCENDING)], name="outbox")],
    "kb_exchange_answers": [IndexModel([("received_at", DESCENDING)], name="received")],
    # 好差评 reports (bridge/domain/haocha.py) and the rectification of bad ratings (bridge/domain/rectification.py)
    "haocha_outbox": [IndexModel([("state", ASCENDING), ("next_try", ASCENDING)], name="due"),
                      IndexModel([("created_at", DESCENDING)], name="created")],
    "rectifications": [IndexModel([("status", ASCENDING), ("deadline", ASCENDING)], name="status_deadline"),
                       IndexModel([("department", ASCENDING)], name="department")],
    # the live Rasa model's go-live figures, stored when it went live (bridge/trainer/training.py)
    "trainer_live": [],
}


def ttl_indexes(settings: Settings) -> dict[str, IndexModel]:
    """The retention TTL index of each collection holding personal information (`RETENTION_*_DAYS`)."""
    def ttl(key: str, days: float) -> IndexModel:
        return IndexModel([(key, ASCENDING)], name=f"retention_{key}",
                          expireAfterSeconds=max(1, int(days * 86400)))

    s = settings
    return {
        "messages": ttl("ts", s.retention_messages_days),
        "timeline": ttl("ts", s.retention_messages_days),
        "media": ttl("created_at", s.retention_media_days),
        "cobrowse_events": ttl("ts", s.retention_cobrowse_days),
        "unanswered": ttl("last_asked", s.retention_unanswered_days),
        "notify_outbox": ttl("created_at", s.retention_messages_days),  # excerpts of messages, addresses
    }


@dataclass
class Store:
    """Typed access to the database and its collections."""

    client: AsyncMongoClient
    db: AsyncDatabase
    ttl: dict[str, IndexModel] = field(default_factory=dict)

    def __getattr__(self, name: str) -> AsyncCollection:
        if name in INDEXES:
            return self.db[name]
        raise AttributeError(f"unknown collection {name!r}")

    async def ensure_indexes(self) -> None:
        """Create every index; safe to call again and from several processes."""
        for name, indexes in INDEXES.items():
            if indexes:
                await self.db[name].create_indexes(indexes)
        for name, index in self.ttl.items():
            try:
                await self.db[name].create_indexes([index])
            except OperationFailure as exc:
                if exc.code not in (85, 86):  # IndexOptionsConflict, IndexKeySpecsConflict: a new window
                    raise
                doc = index.document
                await self.db.command("collMod", name, index={
                    "name": doc["name"], "expireAfterSeconds": doc["expireAfterSeconds"]})

    async def ping(self, timeout_s: float = 1.5) -> bool:
        """True when the server answers a ping within `timeout_s` (readiness checks must answer fast)."""
        try:
            with pymongo.timeout(timeout_s):
                await self.client.admin.command("ping")
            return True
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False

    async def close(self) -> None:
        await self.client.close()


def connect(settings: Settings | None = None, **client_kwargs) -> Store:
    """Open a client for the configured MongoDB (no I/O until first use)."""
    settings = settings or get_settings()
    opts = {"serverSelectionTimeoutMS": 3000, "connectTimeoutMS": 3000, "tz_aware": True}
    opts.update(client_kwargs)
    client: AsyncMongoClient = AsyncMongoClient(settings.mongo_url, **opts)
    return Store(client=client, db=client[settings.mongo_db], ttl=ttl_indexes(settings))

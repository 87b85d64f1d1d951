"""Erasure of a citizen's personal information on request (PIPL): everything stored about them, one audit entry.

Removes the citizen's conversations with their messages, timeline, ratings, media (with the GridFS
bytes), call recordings, co-browse events, work orders and Rasa trackers; takes their conversations
out of the unanswered ledger (whose questions are masked); keeps an `audit` entry of the request.
"""

from __future__ import annotations

from typing import Any

from bridge.domain.pii_store import delete_media, delete_trackers
from core.clock import now
from core.db import Store


class Erasure:
    def __init__(self, store: Store, tracker_db: str) -> None:
        self.store = store
        self.trackers = store.client[tracker_db]

    async def erase_user(self, user_id: str, by: dict[str, Any]) -> dict[str, Any]:
        """Delete everything stored about `user_id`; returns the audit entry (counts per kind)."""
        st = self.store
        ids = await st.conversations.distinct("_id", {"user.id": user_id})
        ids += await st.conversations.distinct("_id", {"caller_citizen": user_id})  # calls from their number
        in_ids = {"$in": ids}
        counts = {
            "messages": (await st.messages.delete_many({"conversation_id": in_ids})).deleted_count,
            "media": await delete_media(st, {"conversation_id": in_ids}),
            "timeline": (await st.timeline.delete_many({"conversation_id": in_ids})).deleted_count,
            "ratings": (await st.ratings.delete_many({"conversation_id": in_ids})).deleted_count,
            "cobrowse_events": (await st.cobrowse_events.delete_many({"conversation_id": in_ids})).deleted_count,
            "work_orders": (await st.work_orders.delete_many({"conversation_id": in_ids})).deleted_count,
            "notifications": (await st.notify_outbox.delete_many({"user": user_id})).deleted_count
            + (await st.notify_consents.delete_many({"user": user_id})).deleted_count
            + (await st.notify_contacts.delete_many({"_id": user_id})).deleted_count,
            "trackers": await delete_trackers(self.trackers, {"sender_id": in_ids}),
            "conversations": (await st.conversations.delete_many({"_id": in_ids})).deleted_count,
        }
        await st.unanswered.update_many({"conversations": in_ids}, {"$pull": {"conversations": in_ids}})
        await st.user_sockets.delete_many({"user": user_id})
        counts["phone_links"] = (await st.phone_links.delete_many({"user_id": user_id})).deleted_count
        entry = {"kind": "erasure", "user_id": user_id, "by": by, "counts": counts, "ts": now()}
        await st.audit.insert_one(entry)
        return entry

"""Retention of personal information (PIPL): documents older than their collection's window are deleted.

Windows are the `RETENTION_*_DAYS` settings. TTL indexes (core/db.py `ttl_indexes`) expire the plain
collections on the database's own schedule; this sweeper also runs every `RETENTION_SWEEP_S` and deletes
what TTL indexes cannot: GridFS files with their chunks, call recordings (shorter than other media),
closed conversations with their timeline, and Rasa trackers (db `BANGBAN_TRACKER_DB`).
"""

from __future__ import annotations

import datetime as dt
import logging

from bridge.domain.pii_store import delete_files, delete_media, delete_trackers
from core.clock import now
from core.db import Store
from core.settings import Settings

log = logging.getLogger("bangban.retention")


def cutoff(days: float) -> dt.datetime:
    return now() - dt.timedelta(days=days)


class Retention:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.trackers = store.client[settings.tracker_db]

    async def sweep(self) -> dict[str, int]:
        """Delete every document past its window; the counts per kind."""
        s, st = self.settings, self.store
        msgs = cutoff(s.retention_messages_days)
        done = {
            "messages": (await st.messages.delete_many({"ts": {"$lt": msgs}})).deleted_count,
            "conversations": (await st.conversations.delete_many(
                {"state": "closed", "created_at": {"$lt": msgs}})).deleted_count,
            "timeline": (await st.timeline.delete_many({"ts": {"$lt": msgs}})).deleted_count,
            "recordings": await delete_media(st, {"type": "recording",
                                                  "created_at": {"$lt": cutoff(s.retention_recordings_days)}}),
            "media": await delete_media(st, {"created_at": {"$lt": cutoff(s.retention_media_days)}}),
            # bytes whose metadata document is gone (a TTL index expired it, or an interrupted upload);
            # not the video guides of the knowledge base (pseudo-conversation `kb`, media/video_jobs.py)
            "media_files": await delete_files(st, {"uploadDate": {"$lt": cutoff(s.retention_media_days)},
                                                   "metadata.conversation_id": {"$ne": "kb"}}),
            "cobrowse_events": (await st.cobrowse_events.delete_many(
                {"ts": {"$lt": cutoff(s.retention_cobrowse_days)}})).deleted_count,
            "unanswered": (await st.unanswered.delete_many(
                {"last_asked": {"$lt": cutoff(s.retention_unanswered_days)}})).deleted_count,
            # a tracker expires when none of its events is newer than the window
            "trackers": await delete_trackers(self.trackers, {"events.timestamp": {
                "$not": {"$gte": cutoff(s.retention_trackers_days).timestamp()}}}),
        }
        if any(done.values()):
            log.info("retention sweep", extra={"deleted": done})
        return done

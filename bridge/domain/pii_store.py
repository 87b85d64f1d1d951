"""Deleting stored personal information: media with their GridFS bytes, Rasa trackers.

Shared by the retention sweeper (old documents) and erasure on request (one citizen's documents).
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from core.db import Store

MEDIA_BUCKET = "media_fs"  # media/store.py's GridFS bucket
TRACKERS = "conversations"  # Rasa's MongoTrackerStore collection


async def delete_media(store: Store, query: dict[str, Any]) -> int:
    """Delete the media documents matching `query` and their stored bytes (files and chunks)."""
    docs = await store.media.find(query, {"file_id": 1, "thumb_id": 1}).to_list(None)
    if not docs:
        return 0
    file_ids = [f for d in docs for f in (d.get("file_id"), d.get("thumb_id")) if f]
    await delete_files(store, {"_id": {"$in": file_ids}})
    await store.media.delete_many({"_id": {"$in": [d["_id"] for d in docs]}})
    return len(docs)


async def delete_files(store: Store, query: dict[str, Any]) -> int:
    """Delete the GridFS files of the media bucket matching `query`, with their chunks."""
    files = store.db[f"{MEDIA_BUCKET}.files"]
    ids = await files.distinct("_id", query)
    if ids:
        await store.db[f"{MEDIA_BUCKET}.chunks"].delete_many({"files_id": {"$in": ids}})
        await files.delete_many({"_id": {"$in": ids}})
    return len(ids)


async def delete_trackers(trackers: AsyncDatabase, query: dict[str, Any]) -> int:
    """Delete Rasa tracker documents matching `query`."""
    res = await trackers[TRACKERS].delete_many(query)
    return res.deleted_count

"""Media storage: bytes in MongoDB GridFS (bucket `media_fs`), one metadata document in `media`.

The metadata document is written last, so a failed upload leaves no visible media; a refused file
never reaches this module.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from core.clock import now

BUCKET = "media_fs"
READ_CHUNK = 256 * 1024


class MediaStore:
    """Put, find and stream stored media."""

    def __init__(self, db: AsyncDatabase, collection: AsyncCollection | None = None) -> None:
        self.db = db
        self.meta = collection if collection is not None else db["media"]
        self.bucket = AsyncGridFSBucket(db, bucket_name=BUCKET)

    async def put(
        self,
        *,
        conversation_id: str,
        kind: str,
        mime: str,
        data: bytes,
        uploader: dict[str, Any],
        thumb: bytes | None = None,
        thumb_mime: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store the bytes (and thumbnail) and return the metadata document."""
        media_id = uuid.uuid4().hex
        file_id = f"{media_id}.bin"
        thumb_id = f"{media_id}.thumb" if thumb is not None else None
        meta = {"media_id": media_id, "conversation_id": conversation_id}
        await self.bucket.upload_from_stream_with_id(file_id, media_id, data, metadata=meta)
        try:
            if thumb is not None:
                await self.bucket.upload_from_stream_with_id(
                    thumb_id, f"{media_id}-thumb", thumb, metadata=meta
                )
            doc: dict[str, Any] = {
                "_id": media_id,
                "conversation_id": conversation_id,
                "type": kind,
                "mime": mime,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_id": file_id,
                "thumb_id": thumb_id,
                "thumb_mime": thumb_mime,
                "thumb_size": len(thumb) if thumb is not None else None,
                "duration_s": None,
                "uploader": uploader,
                "created_at": now(),
            }
            doc.update(extra or {})
            await self.meta.insert_one(doc)
        except BaseException:
            await self._delete_files(file_id, thumb_id)
            raise
        return doc

    async def get(self, media_id: str) -> dict[str, Any] | None:
        """The metadata document, or None."""
        if not isinstance(media_id, str) or len(media_id) > 64:
            return None
        return await self.meta.find_one({"_id": media_id})

    async def stream(
        self, doc: dict[str, Any], *, thumb: bool = False, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Yield the stored bytes from `start` to `end` inclusive (the whole file by default)."""
        file_id = doc["thumb_id"] if thumb else doc["file_id"]
        grid_out = await self.bucket.open_download_stream(file_id)
        try:
            last = grid_out.length - 1 if end is None else min(end, grid_out.length - 1)
            await grid_out.seek(start)
            remaining = last - start + 1
            while remaining > 0:
                chunk = await grid_out.read(min(READ_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            await grid_out.close()

    async def read_all(self, doc: dict[str, Any], *, thumb: bool = False) -> bytes:
        return b"".join([chunk async for chunk in self.stream(doc, thumb=thumb)])

    async def delete(self, media_id: str) -> None:
        doc = await self.get(media_id)
        if doc is None:
            return
        await self.meta.delete_one({"_id": media_id})
        await self._delete_files(doc["file_id"], doc.get("thumb_id"))

    async def _delete_files(self, *file_ids: str | None) -> None:
        for file_id in file_ids:
            if file_id is None:
                continue
            try:
                await self.bucket.delete(file_id)
            except NoFile:
                pass

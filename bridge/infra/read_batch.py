"""Group read: concurrent reads of single documents by `_id` share one `find({_id: {$in: [...]}})`.

The embedded database spends most of a small command on the command itself (profile settings,
collection options, a snapshot) rather than on the document. When a burst of messages reaches
conversations a process has not cached yet (the first messages after a burst of handoffs, with two
bridges), every one used to cost its own `find`. Like the group commit (`write_batch.py`): one read
in flight per collection; the ids asked meanwhile go out together as the next one. Idle, nothing
waits; each caller gets its own document (or None) or the read's error.
"""

from __future__ import annotations

import copy
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from bridge.infra.coalesce import BatchReader

MAX_BATCH = 256


class ReadBatcher:
    """Documents by `_id` through a `BatchReader` over one collection; every caller gets its own copy."""

    def __init__(self, collection: AsyncCollection, max_batch: int = MAX_BATCH) -> None:
        self.collection = collection
        self._batch: BatchReader[dict | None] = BatchReader(self._find, None, max_batch)
        self.reads = 0

    async def get(self, doc_id: Any) -> dict | None:
        """The document with `_id` `doc_id`, or None."""
        doc = await self._batch.get(doc_id)
        return None if doc is None else copy.deepcopy(doc)  # callers of the same id may change theirs

    async def _find(self, ids: list[Any]) -> dict[Any, dict]:
        self.reads += 1
        query = {"_id": ids[0]} if len(ids) == 1 else {"_id": {"$in": ids}}
        return {d["_id"]: d for d in await self.collection.find(query).to_list(None)}

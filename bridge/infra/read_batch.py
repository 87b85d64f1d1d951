"""Group read: concurrent reads of single documents by `_id` share one `find({_id: {$in: [...]}})`.

The embedded database spends most of a small command on the command itself (profile settings,
collection options, a snapshot) rather than on the document. When a burst of messages reaches
conversations a process has not cached yet (the first messages after a burst of handoffs, with two
bridges), every one used to cost its own `find`. Like the group commit (`write_batch.py`): one read
in flight per collection; the ids asked meanwhile go out together as the next one. Idle, nothing
waits; each caller gets its own document (or None) or the read's error.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

MAX_BATCH = 256


class ReadBatcher:
    def __init__(self, collection: AsyncCollection, max_batch: int = MAX_BATCH) -> None:
        self.collection = collection
        self.max_batch = max_batch
        self._pending: dict[Any, list[asyncio.Future[dict | None]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0

    async def get(self, doc_id: Any) -> dict | None:
        """The document with `_id` `doc_id`, or None."""
        fut: asyncio.Future[dict | None] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(doc_id, []).append(fut)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_pending())
        return await asyncio.shield(fut)  # a cancelled caller does not cancel the others' read

    async def _read_pending(self) -> None:
        while self._pending:
            ids = list(self._pending)[: self.max_batch]
            waiting = {i: self._pending.pop(i) for i in ids}
            self.reads += 1
            try:
                query = {"_id": ids[0]} if len(ids) == 1 else {"_id": {"$in": ids}}
                docs = {d["_id"]: d for d in await self.collection.find(query).to_list(None)}
            except Exception as exc:  # noqa: BLE001 - every caller of this read learns its failure
                for futs in waiting.values():
                    for fut in futs:
                        if not fut.done():
                            fut.set_exception(exc)
                continue
            for doc_id, futs in waiting.items():
                doc = docs.get(doc_id)
                for n, fut in enumerate(futs):
                    if not fut.done():  # callers of the same id get their own copies
                        fut.set_result(doc if n == 0 or doc is None else copy.deepcopy(doc))

"""Group commit for inserts: concurrent inserts into one collection share one `insert_many`.

With journaled writes (`j: true`) every write command costs a journal sync; a bridge under
load sends many small inserts at once. The batcher keeps one insert command in flight per
collection and sends everything that arrived meanwhile as the next, unordered batch: no
added delay when idle, batches that grow with load, one sync per batch. Each caller still
learns the fate of its own document (stored, duplicate key, or failed) and nothing is
acknowledged before the database acknowledged the batch.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from bridge.infra.metrics import INSERT_BATCH

MAX_BATCH = 256


class InsertBatcher:
    """Insert documents into `collection`, batching the ones that arrive together."""

    def __init__(self, collection: AsyncCollection, max_batch: int = MAX_BATCH) -> None:
        self.collection = collection
        self.max_batch = max_batch
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0
        self.documents = 0

    async def insert(self, doc: dict[str, Any]) -> None:
        """Store `doc`; raise DuplicateKeyError, WriteError or the batch's PyMongoError."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((doc, fut))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await fut

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            self.batches += 1
            self.documents += len(batch)
            INSERT_BATCH.observe(len(batch))
            await self._write(batch)

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        docs = [doc for doc, _ in batch]
        failed: dict[int, Exception] = {}
        try:
            if len(docs) == 1:
                await self.collection.insert_one(docs[0])
            else:
                await self.collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            details = exc.details or {}
            if details.get("writeConcernErrors"):
                failed = dict.fromkeys(range(len(batch)), exc)
            for err in details.get("writeErrors", []):
                failed[err["index"]] = _write_error(err)
        except Exception as exc:  # noqa: BLE001 - every caller gets the batch's failure
            failed = dict.fromkeys(range(len(batch)), exc)
        except asyncio.CancelledError:  # shutting down: no caller may wait forever
            for _, fut in batch:
                if not fut.done():
                    fut.cancel()
            raise
        for i, (_, fut) in enumerate(batch):
            if fut.done():  # the caller was cancelled
                continue
            if i in failed:
                fut.set_exception(failed[i])
            else:
                fut.set_result(None)


def _write_error(err: dict[str, Any]) -> Exception:
    """The exception `insert_one` would have raised for this document's write error."""
    if err.get("code") in (11000, 11001):
        return DuplicateKeyError(err.get("errmsg", "duplicate key"), err.get("code"), err)
    return WriteError(err.get("errmsg", "write error"), err.get("code"), err)

"""Group commit: concurrent inserts into one collection share one `insert_many` (updates: one `bulk_write`).

With journaled writes (`j: true`) every write command costs a journal sync; a bridge under
load sends many small inserts at once. The batcher keeps one insert command in flight per
collection and sends everything that arrived meanwhile as the next, unordered batch: no
added delay when idle, batches that grow with load, one sync per batch. Each caller still
learns the fate of its own document (stored, duplicate key, or failed) and nothing is
acknowledged before the database acknowledged the batch.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import bson
from pymongo import UpdateMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from bridge.infra.metrics import INSERT_BATCH

MAX_BATCH = 256
BUSY_S = 0.05


class InsertBatcher:
    """Insert documents into `collection`, batching the ones that arrive together."""

    def __init__(self, collection: AsyncCollection, max_batch: int = MAX_BATCH, linger_s: float = 0.0,
                 linger_each: bool = False) -> None:
        self.collection = collection
        self.max_batch = max_batch
        # under load (a batch went out within the last BUSY_S), wait this long for more documents before
        # sending: fewer, larger commands where each costs a journal sync; idle, nothing waits
        self.linger_s = linger_s
        self.linger_each = linger_each
        self._last_flush = 0.0
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0
        self.documents = 0

    async def insert(self, doc: dict[str, Any]) -> None:
        """Store `doc`; raise DuplicateKeyError, WriteError or the batch's PyMongoError."""
        await self.insert_many([doc])

    async def insert_many(self, docs: list[dict[str, Any]]) -> None:
        """Store several documents (in one batch when they fit); raise the first one's failure."""
        if len(docs) == 1:
            return await self._enqueue(docs)[0]
        for outcome in await self.outcomes(docs):
            if outcome is not None:
                raise outcome

    async def outcomes(self, docs: list[dict[str, Any]]) -> list[BaseException | None]:
        """Store several documents; each one's failure (None: stored). Unordered: any subset may fail."""
        results = await asyncio.gather(*self._enqueue(docs), return_exceptions=True)
        return [r if isinstance(r, BaseException) else None for r in results]

    def _enqueue(self, docs: list[dict[str, Any]]) -> list[asyncio.Future[None]]:
        loop = asyncio.get_running_loop()
        futs: list[asyncio.Future[None]] = [loop.create_future() for _ in docs]
        self._pending.extend(zip(docs, futs, strict=True))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return futs

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        first = True
        while self._pending:
            # `linger_each`: every batch lingers while busy, not only a cycle's first (at a steady 200 inserts/s
            # with a 3 ms round trip the batches after the first go out with one document each)
            if (self.linger_s and (first or self.linger_each) and loop.time() - self._last_flush < BUSY_S
                    and len(self._pending) < self.max_batch):
                try:
                    await asyncio.sleep(self.linger_s)
                except asyncio.CancelledError:  # shutting down: no caller may wait forever
                    for _, fut in self._pending:
                        fut.cancel()
                    raise
            self._last_flush = loop.time()
            first = False
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            self.batches += 1
            self.documents += len(batch)
            INSERT_BATCH.observe(len(batch))
            await self._write(batch)

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        failed: dict[int, Exception] = {}
        try:
            await self._send([doc for doc, _ in batch])
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


    async def _send(self, docs: list[dict[str, Any]]) -> None:
        if len(docs) == 1:
            await self.collection.insert_one(docs[0])
        else:
            await self.collection.insert_many(docs, ordered=False)


class UpdateBatcher(InsertBatcher):
    """Single-document updates whose callers need no matched count, batched into one `bulk_write`.

    With `upsert`, every update is an upsert; a guarded upsert that collides with an existing
    document raises DuplicateKeyError to its own caller only (the write error of its index).
    """

    def __init__(self, collection: AsyncCollection, max_batch: int = MAX_BATCH, upsert: bool = False) -> None:
        super().__init__(collection, max_batch)
        self.upsert = upsert

    async def update(self, query: dict[str, Any], update: dict[str, Any]) -> None:
        """Apply `update` to the first document matching `query`; raise this update's write error."""
        await self.insert_many([{"q": query, "u": update}])

    async def _send(self, docs: list[dict[str, Any]]) -> None:
        if len(docs) == 1:
            await self.collection.update_one(docs[0]["q"], docs[0]["u"], upsert=self.upsert)
            return
        if self.upsert:
            await self.collection.bulk_write([UpdateOne(d["q"], d["u"], upsert=True) for d in docs], ordered=False)
            return
        groups = same_update_groups(docs)
        ops = [UpdateOne(docs[g[0]]["q"], docs[g[0]]["u"]) if len(g) == 1 else
               UpdateMany({**docs[g[0]]["q"], "_id": {"$in": [docs[i]["q"]["_id"] for i in g]}}, docs[g[0]]["u"])
               for g in groups]
        try:
            await self.collection.bulk_write(ops, ordered=False)
        except BulkWriteError as exc:  # an error of a merged update is the error of each of its documents
            details = dict(exc.details or {})
            details["writeErrors"] = [{**err, "index": i} for err in details.get("writeErrors", [])
                                      for i in groups[err["index"]]]
            raise BulkWriteError(details) from None


def same_update_groups(docs: list[dict[str, Any]]) -> list[list[int]]:
    """Indexes of `docs` ({q, u}) grouped where one `update_many` can do the work of their `update_one`s.

    The embedded database commits (and syncs) every update statement on its own, however many share
    a `bulk_write`, but one `update_many` over many documents once: updates that differ only in the
    `_id` they name (a turn's settle, the same `$unset` on many messages) go together. An `_id` twice
    in a group would be updated once, so the second stays apart.
    """
    groups: dict[tuple[bytes, bytes], list[int]] = {}
    out: list[list[int]] = []
    for i, d in enumerate(docs):
        q = d["q"]
        if "_id" not in q or isinstance(q["_id"], dict):
            out.append([i])
            continue
        rest = {k: v for k, v in q.items() if k != "_id"}
        key = (bson.encode(rest), bson.encode(d["u"]))
        group = groups.get(key)
        if group is None or any(docs[j]["q"]["_id"] == q["_id"] for j in group):
            group = groups[key] = [i]
            out.append(group)
        else:
            group.append(i)
    return out


class ClaimBatcher(InsertBatcher):
    """Guarded single-document updates batched into one `bulk_write`; each caller learns if its guard matched.

    A bulk write reports how many updates matched in all, not which. So every update also pushes
    a token into its document's `token_field`, an array of the last `keep` tokens: several updates
    of one document in one batch may all match (an agent's slots; a transition whose guard the
    update leaves true), and each must find its own. `keep` bounds the updates of one document that
    can match in one batch. When fewer matched than were sent, one read of the documents tells
    whose token is there. Alone, an update is sent as `update_one` and its count is the answer.
    """

    def __init__(self, collection: AsyncCollection, token_field: str, keep: int = 8,
                 max_batch: int = MAX_BATCH) -> None:
        super().__init__(collection, max_batch)
        self.token_field = token_field
        self.keep = keep

    async def claim(self, query: dict[str, Any], update: dict[str, Any]) -> bool:
        """Apply `update` to the document `query` matches (`query` names its `_id`); whether it matched."""
        token = uuid.uuid4().hex
        update = {k: dict(v) for k, v in update.items()}
        update.setdefault("$push", {})[self.token_field] = {"$each": [token], "$slice": -self.keep}
        fut = self._enqueue([{"q": query, "u": update, "t": token}])[0]
        await fut
        return fut.result() is True  # type: ignore[comparison-overlap]

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        docs = [doc for doc, _ in batch]
        try:
            won = await self._send_claims(docs)
        except asyncio.CancelledError:
            for _, fut in batch:
                if not fut.done():
                    fut.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - every caller gets the batch's failure
            won = [exc] * len(docs)
        for (_, fut), outcome in zip(batch, won, strict=True):
            if fut.done():
                continue
            if isinstance(outcome, Exception):
                fut.set_exception(outcome)
            else:
                fut.set_result(outcome)  # type: ignore[arg-type]

    async def _send_claims(self, docs: list[dict[str, Any]]) -> list[Any]:
        if len(docs) == 1:
            res = await self.collection.update_one(docs[0]["q"], docs[0]["u"])
            return [res.matched_count == 1]
        errors: dict[int, Exception] = {}
        try:
            res = await self.collection.bulk_write([UpdateOne(d["q"], d["u"]) for d in docs], ordered=False)
            if res.matched_count == len(docs):
                return [True] * len(docs)
        except BulkWriteError as exc:
            details = exc.details or {}
            if details.get("writeConcernErrors"):
                raise
            errors = {err["index"]: _write_error(err) for err in details.get("writeErrors", [])}
        ids = list({d["q"]["_id"] for i, d in enumerate(docs) if i not in errors})
        found = {d["_id"]: d.get(self.token_field) for d in await self.collection.find(
            {"_id": {"$in": ids}}, {self.token_field: 1}).to_list(None)}

        def won(i: int, d: dict[str, Any]) -> Any:
            if i in errors:
                return errors[i]
            return d["t"] in (found.get(d["q"]["_id"]) or [])

        return [won(i, d) for i, d in enumerate(docs)]


def _write_error(err: dict[str, Any]) -> Exception:
    """The exception `insert_one` would have raised for this document's write error."""
    if err.get("code") in (11000, 11001):
        return DuplicateKeyError(err.get("errmsg", "duplicate key"), err.get("code"), err)
    return WriteError(err.get("errmsg", "write error"), err.get("code"), err)

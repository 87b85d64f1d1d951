"""Seq leases: across bridge processes, one process at a time numbers a conversation's messages.

Why: a message's seq is given by inserting it under the unique index (conversation_id, seq). Two
processes writing one conversation at once (the user on one bridge, the agent on the other) took the
same seq; the loser retried, and under load the retries fed a backlog. A Redis counter (`INCR`)
would end the collisions but leave a gap whenever a numbered insert fails (a resend, a database
error, a crash between the two) — clients wait on gaps (`contiguous` in the panes) — and would let
a later seq be stored before an earlier one. A lease keeps the numbering where it is and only takes
turns: a process holds the conversation's lease while it inserts, and Redis keeps, beside the lease,
the next seq the last holder stored. So a seq is taken only by a stored message (no gap, whatever
fails), messages are stored in seq order, and the other process starts from the right seq without a
read. The unique index stays the last guard: a lease that expired under a slow insert, a release
lost with a Redis failure or a Redis restart cost a collision and a read, never a duplicate or gap.

Commands go out in order through one pipeline at a time (the batch is what arrived while the
previous one was in flight, like `write_batch.py`); a release is queued without waiting for it, and
a later take of this process always comes after it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from bridge.infra.metrics import SEQ_LEASE_WAITS

log = logging.getLogger("bangban.seq_leases")
LEASE_MS = 3_000  # a holder that died is waited for at most this long
NEXT_TTL_MS = 86_400_000  # a quiet conversation's next seq is forgotten after a day (then read once)
MAX_BATCH = 256
# a waiter asks again after 2, 4, 8… ms: at once behind a normal insert; behind an insert stuck in a
# backlog of seconds it asks at most 10 times a second (each ask is a Redis command of this process)
FIRST_POLL_S, MAX_POLL_S = 0.002, 0.1

# KEYS: lease, next. ARGV: token, lease ms. The next seq (0: not known) or -1 (held by another).
TAKE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
return -1
"""
# KEYS: lease, next. ARGV: token, next seq stored (0: none), ttl ms. The next seq only grows.
GIVE = """
local nxt = tonumber(ARGV[2])
if nxt > 0 and nxt > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], nxt, 'PX', ARGV[3])
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


@dataclass
class Lease:
    """A conversation's numbering turn: `next` is the seq to try first (0: not known here)."""

    conversation_id: str
    token: str
    next: int


def keys(conversation_id: str) -> list[str]:
    """The lease key and the next-seq key of a conversation (one hash slot)."""
    return [f"seq:{{{conversation_id}}}:lease", f"seq:{{{conversation_id}}}:next"]


class SeqLeases:
    def __init__(self, redis_url: str, lease_ms: int = LEASE_MS, next_ttl_ms: int = NEXT_TTL_MS) -> None:
        import redis.asyncio as aioredis

        self.redis = aioredis.from_url(redis_url)
        self.lease_ms = lease_ms
        self.next_ttl_ms = next_ttl_ms
        self._pending: list[tuple[str, list[str], list[Any], asyncio.Future[Any]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def take(self, conversation_id: str) -> Lease | None:
        """Wait for the conversation's lease; None if Redis fails or the wait outlasts a lease
        (the caller then numbers without one, the unique index guarding)."""
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.lease_ms / 1000 + 1.0
        delay = FIRST_POLL_S
        while True:
            try:
                got = await self._take_once(conversation_id, token)
            except Exception:  # noqa: BLE001 - numbering goes on without a lease
                log.warning("seq lease of %s not taken", conversation_id, exc_info=True)
                return None
            if got >= 0:
                return Lease(conversation_id, token, int(got))
            SEQ_LEASE_WAITS.inc()
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_POLL_S)

    def give(self, lease: Lease, next_seq: int) -> None:
        """Release `lease`, telling the next holder `next_seq` (0: nothing stored); not awaited."""
        fut = self._enqueue(GIVE, keys(lease.conversation_id), [lease.token, next_seq, self.next_ttl_ms])
        fut.add_done_callback(_log_failure)

    async def _take_once(self, conversation_id: str, token: str) -> int:
        fut = self._enqueue(TAKE, keys(conversation_id), [token, self.lease_ms])
        try:
            return await asyncio.shield(fut)
        except asyncio.CancelledError:  # the lease may still be granted: give it back, not wait it out
            fut.add_done_callback(lambda f: self._give_back(f, conversation_id, token))
            raise

    def _give_back(self, fut: asyncio.Future[Any], conversation_id: str, token: str) -> None:
        if not fut.cancelled() and fut.exception() is None and fut.result() >= 0:
            self.give(Lease(conversation_id, token, 0), 0)

    def _enqueue(self, script: str, k: list[str], args: list[Any]) -> asyncio.Future[Any]:
        fut = asyncio.get_running_loop().create_future()
        self._pending.append((script, k, args, fut))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_pending())
        return fut

    async def _send_pending(self) -> None:
        while self._pending:
            batch = self._pending[:MAX_BATCH]
            del self._pending[:MAX_BATCH]
            try:
                pipe = self.redis.pipeline(transaction=False)
                for script, k, args, _ in batch:
                    # EVAL, not EVALSHA: a pipeline with registered scripts asks SCRIPT EXISTS every time
                    pipe.eval(script, len(k), *k, *args)
                results = await pipe.execute(raise_on_error=False)
            except Exception as exc:  # noqa: BLE001 - every command of the batch fails with it
                results = [exc] * len(batch)
            for (_, _, _, fut), result in zip(batch, results, strict=True):
                if fut.done():
                    continue
                if isinstance(result, BaseException):
                    fut.set_exception(result)
                else:
                    fut.set_result(result)

    async def close(self) -> None:
        await self.redis.aclose()


def _log_failure(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("seq lease not given back (it expires by itself)", exc_info=fut.exception())

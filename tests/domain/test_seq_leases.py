"""Seq leases: two processes writing one conversation take turns through Redis (bridge/infra/seq_leases.py).

Two processes are two message stores over the same database, each with its own Redis client.
"""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis

from bridge.infra.message_store import MessageStore
from bridge.infra.metrics import SEQ_LEASE_WAITS, SEQ_RETRIES
from bridge.infra.seq_leases import SeqLeases, keys
from tests.domain.conftest import Desk
from tests.domain.test_two_bridge_costs import AGENT, USER, counting_reads, redis_url  # noqa: F401 - fixture

__all__ = ["redis_url"]


def stores(desk: Desk, url: str) -> tuple[MessageStore, MessageStore]:
    return MessageStore(desk.store, leases=SeqLeases(url)), MessageStore(desk.store, leases=SeqLeases(url))


async def opened(desk: Desk, url: str, cid: str) -> tuple[MessageStore, MessageStore, aioredis.Redis]:
    """Two processes and a Redis client; `cid` opened by the first, its release sent."""
    a, b = stores(desk, url)
    await a.append(cid, USER, text="一", new_conversation=True)
    await asyncio.sleep(0.05)  # the release is sent without waiting for it
    return a, b, aioredis.from_url(url)


async def seqs_of(store: MessageStore, cid: str) -> list[int]:
    return [m["seq"] for m in await store.since(cid)]


async def test_two_processes_writing_one_conversation_at_once_take_turns(desk: Desk, redis_url: str):  # noqa: F811
    a, b = stores(desk, redis_url)
    await a.append("c-turns", USER, text="开始", new_conversation=True)
    retries = SEQ_RETRIES._value.get()
    sends = [a.append("c-turns", USER, text=f"问{i}", client_msg_id=f"u{i}") for i in range(30)]
    sends += [b.append("c-turns", AGENT, text=f"答{i}", client_msg_id=f"a{i}") for i in range(30)]
    sends += [b.append_many("c-turns", [{"sender": AGENT, "text": f"多{i}-{j}"} for j in range(3)])
              for i in range(5)]
    await asyncio.gather(*sends)
    stored = await a.since("c-turns")
    assert [m["seq"] for m in stored] == list(range(1, 1 + 30 + 30 + 15 + 1))
    assert len({m["text"] for m in stored}) == len(stored)  # each message once
    assert SEQ_RETRIES._value.get() == retries  # no insert collided
    # stored in seq order: each message's insert came after the one before it had been stored
    assert [m["_id"] for m in stored] == [m["_id"] for m in sorted(stored, key=lambda m: m["seq"])]
    await a.close()
    await b.close()


async def test_the_other_process_starts_from_the_lease_without_a_read(desk: Desk, redis_url: str):  # noqa: F811
    a, b = stores(desk, redis_url)
    await a.append("c-hint", USER, text="一", new_conversation=True)
    await a.append("c-hint", USER, text="二")
    await asyncio.sleep(0.05)  # the release is sent without waiting for it
    reads = counting_reads(b)
    reply, created = await b.append("c-hint", AGENT, text="三")  # b never saw this conversation
    assert created and reply["seq"] == 3 and reads == []
    await a.close()
    await b.close()


async def test_a_resend_takes_no_seq(desk: Desk, redis_url: str):  # noqa: F811
    a, b = stores(desk, redis_url)
    first, _ = await a.append("c-resend", USER, text="一", client_msg_id="m1", new_conversation=True)
    again, created = await b.append("c-resend", USER, text="一", client_msg_id="m1")
    assert not created and again["_id"] == first["_id"]
    nxt, _ = await b.append("c-resend", USER, text="二", client_msg_id="m2")
    assert nxt["seq"] == 2 and await seqs_of(a, "c-resend") == [1, 2]
    await a.close()
    await b.close()


async def test_redis_losing_its_keys_mid_run_costs_a_read_or_a_retry_never_a_gap(desk: Desk, redis_url: str):  # noqa: F811
    a, b, r = await opened(desk, redis_url, "c-lost")
    await a.append("c-lost", USER, text="二")
    await asyncio.sleep(0.05)
    await r.delete(*keys("c-lost"))  # eviction or a restart of Redis
    reads = counting_reads(b)
    third, _ = await b.append("c-lost", AGENT, text="三")  # not known anywhere: learned from the database
    assert third["seq"] == 3 and reads == ["c-lost"]
    await asyncio.sleep(0.05)
    await r.delete(*keys("c-lost"))
    fourth, _ = await a.append("c-lost", USER, text="四")  # a's own next (3) is stale: one collision
    assert fourth["seq"] == 4
    both = [a.append("c-lost", USER, text=f"问{i}") for i in range(10)] + [
        b.append("c-lost", AGENT, text=f"答{i}") for i in range(10)]
    await asyncio.gather(*both)  # the key was seeded again by the last release
    assert await seqs_of(a, "c-lost") == list(range(1, 25))
    await r.aclose()
    await a.close()
    await b.close()


async def test_the_lease_of_a_process_that_died_is_waited_out(desk: Desk, redis_url: str):  # noqa: F811
    a, b, r = await opened(desk, redis_url, "c-dead")
    await r.set(keys("c-dead")[0], "a-dead-process", px=300)  # taken, never given back
    waits = SEQ_LEASE_WAITS._value.get()
    t0 = time.monotonic()
    reply, _ = await b.append("c-dead", AGENT, text="二")
    assert reply["seq"] == 2 and time.monotonic() - t0 >= 0.2
    assert SEQ_LEASE_WAITS._value.get() > waits
    await r.aclose()
    await a.close()
    await b.close()


async def test_without_redis_a_store_numbers_as_one_process(desk: Desk):
    a = MessageStore(desk.store, leases=SeqLeases("redis://127.0.0.1:1/0"))  # nothing listens there
    await a.append("c-none", USER, text="一", new_conversation=True)
    second, created = await a.append("c-none", USER, text="二")
    assert created and second["seq"] == 2
    await a.close()


async def test_a_take_cancelled_while_in_flight_gives_the_lease_back(desk: Desk, redis_url: str):  # noqa: F811
    a, b = stores(desk, redis_url)
    await a.append("c-cancel", USER, text="一", new_conversation=True)
    waiting = asyncio.create_task(a.append("c-cancel", USER, text="被取消"))
    await asyncio.sleep(0)  # its take is queued, not yet answered
    waiting.cancel()
    await asyncio.sleep(0.1)  # its take reached Redis (and was granted) after the cancellation
    t0 = time.monotonic()
    reply, _ = await b.append("c-cancel", AGENT, text="二")
    assert time.monotonic() - t0 < 1.0  # not the lease's 3 s
    assert await seqs_of(a, "c-cancel") == [1, 2] and reply["seq"] == 2
    await a.close()
    await b.close()

"""Numbering one conversation from two processes at once (bridge/infra/message_store.py).

Two processes are two message stores over the same database. The unique index (conversation_id, seq)
arbitrates: a collision is retried with the next seq, never stored twice, never leaving a gap.
"""

from __future__ import annotations

import asyncio

from bridge.infra.message_store import MessageStore
from bridge.infra.metrics import SEQ_RETRIES
from tests.domain.conftest import Desk
from tests.domain.test_two_bridge_costs import AGENT, USER, counting_reads


async def seqs_of(store: MessageStore, cid: str) -> list[int]:
    return [m["seq"] for m in await store.since(cid)]


async def test_two_processes_writing_one_conversation_at_once_store_each_message_once_without_a_gap(desk: Desk):
    a, b = MessageStore(desk.store), MessageStore(desk.store)
    await a.append("c-both", USER, text="开始", new_conversation=True)
    retries = SEQ_RETRIES._value.get()
    sends = [a.append("c-both", USER, text=f"问{i}", client_msg_id=f"u{i}") for i in range(30)]
    sends += [b.append("c-both", AGENT, text=f"答{i}", client_msg_id=f"a{i}") for i in range(30)]
    sends += [b.append_many("c-both", [{"sender": AGENT, "text": f"多{i}-{j}"} for j in range(3)])
              for i in range(5)]
    await asyncio.gather(*sends)
    stored = await a.since("c-both")
    assert [m["seq"] for m in stored] == list(range(1, 1 + 30 + 30 + 15 + 1))
    assert len({m["text"] for m in stored}) == len(stored)  # each message once
    assert SEQ_RETRIES._value.get() > retries  # they did collide: the index arbitrated
    # stored in seq order: every seq was tried only once the one before it was known to be stored
    assert [m["_id"] for m in stored] == [m["_id"] for m in sorted(stored, key=lambda m: m["seq"])]
    # a user's own messages keep their order (one process numbers a conversation one message at a time)
    asked = [int(m["text"][1:]) for m in stored if m["text"].startswith("问")]
    assert asked == sorted(asked)


async def test_a_resend_on_the_other_process_takes_no_seq(desk: Desk):
    a, b = MessageStore(desk.store), MessageStore(desk.store)
    first, _ = await a.append("c-resend", USER, text="一", client_msg_id="m1", new_conversation=True)
    again, created = await b.append("c-resend", USER, text="一", client_msg_id="m1")
    assert not created and again["_id"] == first["_id"]
    nxt, _ = await b.append("c-resend", USER, text="二", client_msg_id="m2")
    assert nxt["seq"] == 2 and await seqs_of(a, "c-resend") == [1, 2]


async def test_a_process_that_knows_nothing_of_a_conversation_reads_its_highest_seq_once(desk: Desk):
    a, b = MessageStore(desk.store), MessageStore(desk.store)
    await a.append("c-cold", USER, text="一", new_conversation=True)
    await a.append("c-cold", USER, text="二")
    reads = counting_reads(b)  # b restarted, or never saw this conversation relayed
    third, _ = await b.append("c-cold", AGENT, text="三")
    fourth, _ = await b.append("c-cold", AGENT, text="四")
    assert (third["seq"], fourth["seq"]) == (3, 4) and reads == ["c-cold"]

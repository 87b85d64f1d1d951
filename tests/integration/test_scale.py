"""Two bridge processes sharing the database and Redis behave as one: delivery, queues, timers."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import aiohttp
import pytest

from ops.system import System
from tests.integration.systems import MultiHarness, bridge_url, harness, start_own_system
from tests.support import cmid, start_conversation


@pytest.fixture(scope="module")
def scaled() -> System:
    system = start_own_system("scale", bridges=2)
    yield system
    system.stop()


@pytest.fixture
async def mh(scaled: System):
    h = harness(scaled)
    yield h
    await h.close_clients()
    await h.store.close()


async def test_delivery_across_processes_and_devices(mh: MultiHarness):
    dep, matter = "housing-fund", "housing-fund-withdrawal"
    await mh.reset_department(dep)
    agent = await mh.agent_on(1, [dep])
    sub = f"scale-{cmid()[:8]}"
    phone = await mh.user_on(0, sub)
    tablet = await mh.user_on(1, sub)
    cid = await start_conversation(phone, "公积金提取要什么材料", matter=matter)
    # the other device (other process) gets the message and the bot's answer (apology: no Rasa here)
    await tablet.wait_for("message", conversation_id=cid, seq=1)
    bot = await tablet.wait_for("message", conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    assert any(b["payload"] == "/request_human" for b in bot["buttons"])
    ack = await phone.call("handoff", {"conversation_id": cid})
    assert ack["ok"] and ack["state"] == "with_agent", ack
    assigned = await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    assert [m["seq"] for m in assigned["messages"]][:1] == [1]
    reply = await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                         "text": "您好，请问您是哪种提取情形？"})
    assert reply["ok"]
    for device in (phone, tablet):
        got = await device.wait_for("message", conversation_id=cid, seq=reply["seq"])
        assert got["sender"]["role"] == "agent"
    sent = await tablet.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                         "text": "租房提取"})
    await agent.wait_for("message", conversation_id=cid, seq=sent["seq"])
    await phone.wait_for("message", conversation_id=cid, seq=sent["seq"])
    assert (await phone.call("typing", {"conversation_id": cid, "on": True}))["ok"]
    await agent.wait_for("typing", conversation_id=cid)
    await tablet.wait_for("typing", conversation_id=cid)
    # every device saw each message once, in order
    for device in (phone, tablet, agent):
        seqs = [m["seq"] for m in device.messages(cid)]
        assert len(seqs) == len(set(seqs)), seqs


async def test_queues_and_assignment_with_agents_on_both_processes(mh: MultiHarness):
    dep, matter = "taxation", "income-tax-settlement"
    await mh.reset_department(dep)
    agents = [await mh.agent_on(i % 2, [dep], capacity=2, online=False) for i in range(4)]
    users = [await mh.user_on(i % 2) for i in range(12)]
    cids = await asyncio.gather(*(start_conversation(u, "个税汇算怎么退税", matter=matter) for u in users))
    acks = await asyncio.gather(*(u.call("handoff", {"conversation_id": c}) for u, c in zip(users, cids, strict=True)))
    assert all(a["ok"] and a["state"] == "queued" for a in acks), acks
    # all four agents come online at once on two processes: dispatch races across processes
    online = await asyncio.gather(*(a.call("presence", {"status": "online"}) for a in agents))
    assert all(o["ok"] for o in online)
    for _ in range(40):
        if await mh.store.conversations.count_documents({"_id": {"$in": cids}, "state": "with_agent"}) == 8:
            break
        await asyncio.sleep(0.25)
    await asyncio.sleep(1.5)  # let the sweepers of both processes run a few more rounds
    convs = await mh.store.conversations.find({"_id": {"$in": cids}}).to_list(None)
    states = Counter(c["state"] for c in convs)
    assert states == {"with_agent": 8, "queued": 4}, states
    for c in convs:  # each assignment happened exactly once
        n = sum(1 for e in c.get("timeline", []) if e["event"] == "assigned")  # state changes live on it
        assert n == (1 if c["state"] == "with_agent" else 0), (c["_id"], n)
    announced = Counter()
    for a in agents:
        got = [d["conversation"]["id"] for d in a.of("assigned")]
        announced.update(got)
        doc = await mh.store.agents.find_one({"username": a.username})
        mine = [c for c in convs if (c.get("agent") or {}).get("id") == doc["_id"]]
        assert doc["active"] == len(mine) == len(got) == 2, (doc["active"], len(mine), got)
    assert set(announced) == {c["_id"] for c in convs if c["state"] == "with_agent"}
    assert max(announced.values()) == 1
    # queued users know their position
    waiting = sorted((c for c in convs if c["state"] == "queued"), key=lambda c: c["queue_key"])
    for pos, c in enumerate(waiting, start=1):
        u = users[cids.index(c["_id"])]
        ack = await u.call("sync", {"conversation_id": c["_id"], "after_seq": 0})
        assert ack["state_info"]["queue_position"] == pos
    # closing two frees two slots: the two first waiting go to agents, once each
    served = [c for c in convs if c["state"] == "with_agent"][:2]
    owner = {d["conversation"]["id"]: a for a in agents for d in a.of("assigned")}
    for c in served:
        ack = await owner[c["_id"]].call("close", {"conversation_id": c["_id"], "resolved": True})
        assert ack["ok"], ack
    for _ in range(40):
        n = await mh.store.conversations.count_documents({"_id": {"$in": [w["_id"] for w in waiting[:2]]},
                                                         "state": "with_agent"})
        if n == 2:
            break
        await asyncio.sleep(0.25)
    assert n == 2
    for _ in range(40):  # the `assigned` events follow the database write
        total = Counter(d["conversation"]["id"] for a in agents for d in a.of("assigned"))
        if len(total) == 10:
            break
        await asyncio.sleep(0.25)
    assert max(total.values()) == 1 and len(total) == 10
    for a in agents:
        doc = await mh.store.agents.find_one({"username": a.username})
        assert doc["active"] <= 2


async def test_first_response_alert_fires_once_with_two_sweepers(mh: MultiHarness):
    dep, matter = "education", "school-enrollment"
    await mh.reset_department(dep)
    sup = await mh.agent_on(0, [dep], role="supervisor", online=False)
    agent = await mh.agent_on(1, [dep])
    user = await mh.user_on(0)
    cid = await start_conversation(user, "小学入学报名", matter=matter)
    await user.call("handoff", {"conversation_id": cid})
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    alert = await agent.wait_for("alert", timeout=10, conversation_id=cid)
    assert alert["kind"] == "first_response_late"
    await sup.wait_for("alert", timeout=10, conversation_id=cid)
    await asyncio.sleep(2.0)  # several more sweeps of both processes
    assert len(agent.of("alert", conversation_id=cid)) == 1
    assert len(sup.of("alert", conversation_id=cid)) == 1
    assert await mh.store.alerts.count_documents({"conversation_id": cid}) == 1


async def test_grace_expiry_requeues_once_with_two_sweepers(mh: MultiHarness):
    dep, matter = "civil-affairs", "marriage-registration"
    await mh.reset_department(dep)
    agent = await mh.agent_on(1, [dep])
    user = await mh.user_on(0)
    cid = await start_conversation(user, "结婚登记预约", matter=matter)
    await user.call("handoff", {"conversation_id": cid})
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    await agent.close()
    state = await user.wait_for("message", timeout=15, conversation_id=cid,
                                pred=lambda d: d["meta"].get("event") == "requeued")
    assert state["meta"]["reason"] == "agent_disconnected"
    await asyncio.sleep(1.5)
    conv = await mh.store.conversations.find_one({"_id": cid})
    assert [e["event"] for e in conv["timeline"]].count("requeued") == 1
    assert conv["state"] == "queued" and conv["queue_key"].startswith("0:")
    # a colleague on the other process picks it up
    other = await mh.agent_on(0, [dep])
    await other.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)


async def _seq_retries(mh: MultiHarness) -> float:
    return await _metric(mh, "bangban_seq_retries_total")


async def _metric(mh: MultiHarness, name: str) -> float:
    """A counter of /metrics summed over both processes."""
    total = 0.0
    async with aiohttp.ClientSession() as s:
        for i in range(2):
            async with s.get(bridge_url(mh.system, i) + "/metrics") as r:
                for line in (await r.text()).splitlines():
                    if line.startswith(name + " "):
                        total += float(line.split()[1])
    return total


async def _across_processes(mh: MultiHarness, prefix: str) -> tuple[Any, Any, str]:
    """A user on bridge 0 whose conversation is with an agent on bridge 1: (user, agent, conversation id)."""
    dep, matter = "housing-fund", "housing-fund-withdrawal"
    await mh.reset_department(dep)
    agent = await mh.agent_on(1, [dep])
    user = await mh.user_on(0, f"{prefix}-{cmid()[:8]}")
    cid = await start_conversation(user, "公积金提取要什么材料", matter=matter)
    await user.wait_for("message", conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    assert (await user.call("handoff", {"conversation_id": cid}))["state"] == "with_agent"
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    return user, agent, cid


async def test_user_and_agent_on_different_processes_number_messages_without_collisions(mh: MultiHarness):
    """Each process learns the seq the other gave from the relayed events: no insert is retried."""
    user, agent, cid = await _across_processes(mh, "seq")
    before = await _seq_retries(mh)
    timed = [await _metric(mh, f"bangban_{stage}_seconds_count") for stage in ("message_store", "relay")]
    for i in range(8):
        sent = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "text": f"问题{i}"})
        await agent.wait_for("message", conversation_id=cid, seq=sent["seq"])
        reply = await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "text": f"回答{i}"})
        assert reply["seq"] == sent["seq"] + 1
        await user.wait_for("message", conversation_id=cid, seq=reply["seq"])
    assert await _seq_retries(mh) == before
    seqs = [m["seq"] for m in (await user.call("sync", {"conversation_id": cid, "after_seq": 0}))["messages"]]
    assert seqs == list(range(1, len(seqs) + 1))
    # each of the 16 was timed when stored and when it reached the other process (bench/stage_sampler.py)
    stored, relayed = [await _metric(mh, f"bangban_{stage}_seconds_count") - t
                       for stage, t in zip(("message_store", "relay"), timed, strict=True)]
    assert stored >= 16 and relayed >= 16, (stored, relayed)


async def test_user_and_agent_writing_at_the_same_time_on_two_processes_store_each_once_without_a_gap(
        mh: MultiHarness):
    """Both sides send at once, the user on one process and the agent on the other: inserts that
    collide under the unique index are retried, so every message is stored once, no gap."""
    user, agent, cid = await _across_processes(mh, "both")
    sends = [user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "text": f"问{i}"})
             for i in range(12)]
    sends += [agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "text": f"答{i}"})
              for i in range(12)]
    acks = await asyncio.gather(*sends)
    assert all(a.get("ok") for a in acks) and len({a["seq"] for a in acks}) == 24
    messages = (await user.call("sync", {"conversation_id": cid, "after_seq": 0}))["messages"]
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    texts = [m["text"] for m in messages]
    assert all(texts.count(f"问{i}") == 1 and texts.count(f"答{i}") == 1 for i in range(12))


async def test_replies_to_a_citizen_on_the_other_process_ask_no_socket_count(mh: MultiHarness):
    """The citizen's bridge announced the socket over Redis: the agent's bridge knows the citizen is
    connected without counting `user_sockets` per reply; once the citizen left, a reply is notified."""
    dep, matter = "housing-fund", "housing-fund-withdrawal"
    await mh.reset_department(dep)
    agent = await mh.agent_on(1, [dep])
    sub = f"away-{cmid()[:8]}"
    user = await mh.user_on(0, sub)
    cid = await start_conversation(user, "公积金提取要什么材料", matter=matter)
    await user.wait_for("message", conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    assert (await user.call("handoff", {"conversation_id": cid}))["state"] == "with_agent"
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    counts = 'bangban_db_commands_total{command="count:user_sockets"}'
    before = await _metric(mh, counts)
    for i in range(5):
        reply = await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "text": f"回答{i}"})
        await user.wait_for("message", conversation_id=cid, seq=reply["seq"])
    assert await _metric(mh, counts) == before
    assert await mh.store.notify_outbox.count_documents({"conversation_id": cid}) == 0
    await user.close()
    for _ in range(100):
        if await mh.store.user_sockets.count_documents({"user": sub}) == 0:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # the closing's announcement crosses Redis
    await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "text": "您还在吗？"})
    queued = await mh.store.notify_outbox.count_documents({"conversation_id": cid})
    skipped = await mh.store.timeline.count_documents({"conversation_id": cid, "event": "notify_skipped"})
    assert queued + skipped == 1

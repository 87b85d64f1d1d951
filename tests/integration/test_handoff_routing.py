"""Handoff with summary, routing by matter and scope, queue positions, capacity, races, requeue, transfer."""

from __future__ import annotations

import asyncio

from tests.support import cmid, start_conversation


async def test_handoff_routes_by_matter_with_summary(h):
    await h.reset_department("public-security")
    agent = await h.agent(["public-security"])
    user = await h.user()
    cid = await start_conversation(user, "驾驶证到期了怎么换证", matter="drivers-license")
    await user.wait_for("message", conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    ack = await user.call("handoff", {"conversation_id": cid, "reason": "想问人工"})
    assert ack["ok"] and ack["state"] == "with_agent" and ack["department"] == "public-security"
    assigned = await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    conv = assigned["conversation"]
    assert conv["matter"] == "drivers-license" and conv["department"] == "public-security"
    assert conv["summary"]["question"] == "驾驶证到期了怎么换证"
    assert conv["summary"]["bot_answer"]
    assert [m["seq"] for m in assigned["messages"]][:2] == [1, 2]
    joined = await user.wait_for("message", conversation_id=cid,
                                 pred=lambda d: d["meta"].get("event") == "agent_joined")
    assert joined["sender"]["role"] == "system"
    # the bot is muted: a user message now reaches the agent and gets no bot reply
    ack = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                      "text": "你好，在吗"})
    got = await agent.wait_for("message", conversation_id=cid, seq=ack["seq"])
    assert got["text"] == "你好，在吗"
    await asyncio.sleep(1.5)
    later = [m for m in user.messages(cid) if m["seq"] > ack["seq"] and m["sender"]["role"] == "bot"]
    assert later == []


async def test_unknown_matter_goes_to_triage_and_tech_to_bigdata(h):
    await h.reset_department("triage")
    await h.reset_department("bigdata-center")
    user = await h.user()
    cid = await start_conversation(user, "我想问一个问题")
    ack = await user.call("handoff", {"conversation_id": cid})
    assert ack["ok"] and ack["state"] == "queued" and ack["department"] == "triage"
    assert ack["queue_position"] == 1 and ack["estimated_wait_s"] > 0
    # a conversation the bot classified as a portal technical fault goes to the big-data center
    cid2 = await start_conversation(user, "随申办登录不上，一直提示验证码错误")
    reply = await user.wait_for("message", conversation_id=cid2, pred=lambda d: d["sender"]["role"] == "bot")
    assert reply["meta"]["scope"] == "platform_tech"
    ack2 = await user.call("handoff", {"conversation_id": cid2})
    assert ack2["department"] == "bigdata-center"


async def test_unknown_matter_in_message_is_refused_and_changes_nothing(h):
    user = await h.user()
    before = await h.store.conversations.count_documents({})
    ack = await user.call("message", {"client_msg_id": cmid(), "type": "text", "text": "你好", "matter": "no-such"})
    assert not ack["ok"] and ack["error"]["code"] == "unknown_matter"
    assert await h.store.conversations.count_documents({}) == before


async def test_queue_positions_update_and_capacity_is_respected(h):
    dep = "civil-affairs"
    await h.reset_department(dep)
    users = [await h.user() for _ in range(3)]
    cids = []
    for u in users:
        cid = await start_conversation(u, "结婚登记怎么预约", matter="marriage-registration")
        ack = await u.call("handoff", {"conversation_id": cid})
        assert ack["state"] == "queued"
        cids.append(cid)
    positions = [(await u.call("sync", {"conversation_id": c, "after_seq": 0}))["state_info"]["queue_position"]
                 for u, c in zip(users, cids, strict=True)]
    assert positions == [1, 2, 3]
    agent = await h.agent([dep], capacity=2)
    first = await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cids[0])
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cids[1])
    assert first["conversation"]["department"] == dep
    await asyncio.sleep(1.5)
    assert len(agent.of("assigned")) == 2  # capacity 2: the third waits
    third = await users[2].wait_for("state", conversation_id=cids[2], pred=lambda d: d.get("queue_position") == 1)
    assert third["state"] == "queued"
    stored = await h.store.agents.find_one({"_id": agent.username})
    assert stored["active"] == 2
    # closing one frees a slot and the third is assigned
    assert (await agent.call("close", {"conversation_id": cids[0], "resolved": True}))["ok"]
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cids[2])


async def test_racing_agents_never_both_get_one_conversation(h):
    dep = "disabled-federation"
    await h.reset_department(dep)
    users = [await h.user() for _ in range(8)]
    cids = []
    for u in users:
        cid = await start_conversation(u, "残疾人证怎么办", matter="disability-certificate")
        await u.call("handoff", {"conversation_id": cid})
        cids.append(cid)
    agents = [await h.agent([dep], capacity=3, online=False) for _ in range(3)]
    await asyncio.gather(*(a.call("presence", {"status": "online"}) for a in agents))
    await asyncio.sleep(3)
    owners: dict[str, list[str]] = {}
    for a in agents:
        for d in a.of("assigned"):
            owners.setdefault(d["conversation"]["id"], []).append(a.username)
    assert all(len(v) == 1 for v in owners.values()), owners
    assert len(owners) == 8
    for a in agents:
        doc = await h.store.agents.find_one({"_id": a.username})
        assert doc["active"] <= 3
        assert doc["active"] == len(a.of("assigned"))


async def test_agent_disconnect_requeues_after_grace_at_the_front(h):
    dep = "education"
    await h.reset_department(dep)
    agent = await h.agent([dep])
    user = await h.user()
    cid = await start_conversation(user, "入学报名", matter="school-enrollment")
    await user.call("handoff", {"conversation_id": cid})
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    other = await h.user()
    cid_other = await start_conversation(other, "入学报名时间", matter="school-enrollment")
    ack = await other.call("handoff", {"conversation_id": cid_other})
    assert ack["state"] in ("with_agent", "queued")
    await agent.close()
    await asyncio.sleep(1.0)
    conv = await h.store.conversations.find_one({"_id": cid})
    assert conv["state"] == "with_agent"  # within the grace period nothing moves
    requeued = await user.wait_for("message", conversation_id=cid, timeout=20,
                                   pred=lambda d: d["meta"].get("event") == "requeued")
    assert requeued["sender"]["role"] == "system"
    conv = await h.store.conversations.find_one({"_id": cid})
    assert conv["state"] == "queued" and conv["queue_key"].startswith("0:")
    sync = await user.call("sync", {"conversation_id": cid, "after_seq": 0})
    assert sync["state_info"]["queue_position"] == 1
    newcomer = await h.agent([dep])
    got = await newcomer.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    assert [m["seq"] for m in got["messages"]] == list(range(1, len(got["messages"]) + 1))


async def test_transfer_to_department_and_agent(h):
    await h.reset_department("taxation")
    await h.reset_department("market-regulation")
    a1 = await h.agent(["taxation"])
    a2 = await h.agent(["market-regulation"])
    user = await h.user()
    cid = await start_conversation(user, "发票怎么申领", matter="invoice-application")
    await user.call("handoff", {"conversation_id": cid})
    await a1.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    bad = await a1.call("transfer", {"conversation_id": cid, "department": "nowhere", "note": "x"})
    assert not bad["ok"] and bad["error"]["code"] == "unknown_department"
    ack = await a1.call("transfer", {"conversation_id": cid, "department": "market-regulation",
                                     "note": "涉及企业开办"})
    assert ack["ok"]
    got = await a2.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    assert got["conversation"]["department"] == "market-regulation"
    await a1.wait_for("unassigned", conversation_id=cid)
    assert (await h.store.agents.find_one({"_id": a1.username}))["active"] == 0
    denied = await a1.call("sync", {"conversation_id": cid, "after_seq": 0})
    assert not denied["ok"] and denied["error"]["code"] == "forbidden"
    a3 = await h.agent(["market-regulation"])
    ack = await a2.call("transfer", {"conversation_id": cid, "agent": a3.username, "note": "请接手"})
    assert ack["ok"]
    await a3.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)

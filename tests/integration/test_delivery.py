"""Delivery: numbering, idempotent resends, sync after reconnect, two devices, typing and read."""

from __future__ import annotations

import asyncio

from tests.support import cmid, start_conversation


async def test_seq_is_gap_free_and_resend_stores_nothing(h):
    await h.reset_department("triage")
    user = await h.user()
    cid = await start_conversation(user, "你好")
    ids = [cmid() for _ in range(5)]
    acks = []
    for i, mid in enumerate(ids):
        acks.append(await user.call("message", {"conversation_id": cid, "client_msg_id": mid,
                                                "type": "text", "text": f"第{i}条"}))
    again = await user.call("message", {"conversation_id": cid, "client_msg_id": ids[2], "type": "text",
                                        "text": "第2条"})
    assert again["ok"] and again["seq"] == acks[2]["seq"] and again["conversation_id"] == cid
    await asyncio.sleep(1.0)
    synced = await user.call("sync", {"conversation_id": cid, "after_seq": 0})
    seqs = [m["seq"] for m in synced["messages"]]
    assert seqs == list(range(1, len(seqs) + 1))
    texts = [m["text"] for m in synced["messages"] if m["sender"]["role"] == "user"]
    assert texts.count("第2条") == 1
    stored = await h.store.messages.count_documents({"conversation_id": cid, "client_msg_id": ids[2]})
    assert stored == 1


async def test_first_message_resend_does_not_open_a_second_conversation(h):
    user = await h.user()
    mid = cmid()
    a1 = await user.call("message", {"client_msg_id": mid, "type": "text", "text": "居住证怎么办"})
    a2 = await user.call("message", {"client_msg_id": mid, "type": "text", "text": "居住证怎么办"})
    assert a1["ok"] and a2["ok"] and a1["conversation_id"] == a2["conversation_id"] and a1["seq"] == a2["seq"] == 1
    n = await h.store.conversations.count_documents({"user.id": (await _sub(h, user))})
    assert n == 1


async def _sub(h, client) -> str:
    status, me = await h.http("GET", "/api/v1/me", token=client.token)
    assert status == 200
    return me["id"]


async def test_two_devices_see_both_sides_and_sync_returns_missed(h):
    sub = f"dev-{cmid()[:8]}"
    phone = await h.user(sub)
    tablet = await h.user(sub)
    cid = await start_conversation(phone, "社保卡丢了怎么补办")
    # the tablet receives the phone's message and the bot's reply
    await tablet.wait_for("message", conversation_id=cid, seq=1)
    bot_reply = await tablet.wait_for("message", conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    assert bot_reply["seq"] >= 2
    last_seen = max(m["seq"] for m in tablet.messages(cid))
    await tablet.close()
    ack = await phone.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                       "text": "需要带什么材料"})
    assert ack["ok"]
    await phone.wait_for("message", conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot"
                         and d["seq"] > ack["seq"])
    tablet2 = await h.user(sub)
    synced = await tablet2.call("sync", {"conversation_id": cid, "after_seq": last_seen})
    got = [m["seq"] for m in synced["messages"]]
    assert got and got[0] == last_seen + 1 and got == list(range(last_seen + 1, last_seen + 1 + len(got)))
    assert ack["seq"] in got


async def test_typing_and_read_reach_the_other_side(h):
    await h.reset_department("housing-fund")
    agent = await h.agent(["housing-fund"])
    user = await h.user()
    cid = await start_conversation(user, "公积金提取", matter="housing-fund-withdrawal")
    ack = await user.call("handoff", {"conversation_id": cid})
    assert ack["ok"] and ack["state"] == "with_agent"
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    assert (await user.call("typing", {"conversation_id": cid, "on": True}))["ok"]
    typing = await agent.wait_for("typing", conversation_id=cid)
    assert typing["on"] is True and typing["who"]["role"] == "user"
    assert (await agent.call("read", {"conversation_id": cid, "seq": 1}))["ok"]
    read = await user.wait_for("read", conversation_id=cid)
    assert read["seq"] == 1 and read["who"]["role"] == "agent"

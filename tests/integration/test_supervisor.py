"""Supervisors: see queues, watch a conversation, force a handoff, reassign; help hours on handoff."""

from __future__ import annotations

from tests.support import cmid, start_conversation


async def test_supervisor_watches_forces_handoff_and_reassigns(h):
    dep = "housing-construction"
    await h.reset_department(dep)
    sup = await h.agent([dep], role="supervisor", online=False)
    a1 = await h.agent([dep])
    a2 = await h.agent([dep], online=False)
    user = await h.user()
    cid = await start_conversation(user, "施工许可证办理时限", matter="construction-permit")
    await user.wait_for("message", conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    # a supervisor of another department sees nothing of it
    stranger = await h.agent(["taxation"], role="supervisor", online=False)
    refused = await stranger.call("watch", {"conversation_id": cid, "on": True})
    assert not refused["ok"] and refused["error"]["code"] == "forbidden"
    # while with the bot the conversation already belongs to its matter's department
    assert (await h.store.conversations.find_one({"_id": cid}))["department"] == dep
    watched = await sup.call("watch", {"conversation_id": cid, "on": True})
    assert watched["ok"] and watched["conversation"]["id"] == cid
    forced = await sup.call("force_handoff", {"conversation_id": cid})
    assert forced["ok"] and forced["state"] == "with_agent"
    await a1.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    ack = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                      "text": "请问多久能批下来"})
    await sup.wait_for("message", conversation_id=cid, seq=ack["seq"])  # watching
    overview = await sup.call("supervise")
    assert overview["ok"] and cid in [c["id"] for c in overview["conversations"]]
    assert {a["id"] for a in overview["agents"]} >= {a1.username, a2.username}
    assert (await a2.call("presence", {"status": "online"}))["ok"]
    moved = await sup.call("reassign", {"conversation_id": cid, "agent": a2.username, "note": "请李娜接手"})
    assert moved["ok"] and moved["state"] == "with_agent"
    await a2.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    await a1.wait_for("unassigned", conversation_id=cid)
    agent_refused = await a1.call("reassign", {"conversation_id": cid, "agent": a1.username, "note": ""})
    assert not agent_refused["ok"] and agent_refused["error"]["code"] == "forbidden"
    queues = await sup.call("queues")
    assert queues["ok"] and dep in [q["department"] for q in queues["queues"]]


async def test_handoff_notice_follows_the_help_hours(h):
    """Outside help hours with nobody online the handoff becomes a message left for the next working day."""
    dep = "elderly-allowance"
    await h.reset_department("civil-affairs")
    user = await h.user()
    cid = await start_conversation(user, "老年综合津贴怎么申请", matter=dep)
    ack = await user.call("handoff", {"conversation_id": cid})
    assert ack["state"] == "queued" and ack["department"] == "civil-affairs"
    notice = await user.wait_for("message", conversation_id=cid,
                                 pred=lambda d: d["meta"].get("event") == "handed_off")
    staff, _ = await h.make_staff(["civil-affairs"])
    status, calendar = await h.http("GET", "/api/v1/help-hours", token=await h.staff_token(staff))
    assert status == 200, calendar
    if calendar["open_now"]["chat"]["civil-affairs"]:  # the bridge's calendar (HELP_HOURS in the tests)
        assert notice["meta"]["left_message"] is False and "正在为您转接" in notice["text"]
    else:
        assert notice["meta"]["left_message"] is True and "非人工服务时间" in notice["text"]
    # a left message is answered from the same queue once an agent comes online
    agent = await h.agent(["civil-affairs"])
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)

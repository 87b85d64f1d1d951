"""小申 end to end: citizen questions over Socket.IO → bridge → real Rasa + actions → stored replies."""

from __future__ import annotations

import pytest

from tests.support import cmid, start_conversation

# Phrased as citizens type them; not copied from the training data or the knowledge base.
SAMPLES = [
    ("我想把公积金取出来付房租，怎么弄", "housing-fund-withdrawal", "in_scope"),
    ("护照快过期了，换新的要多少钱", "exit-entry-documents", "in_scope"),
    ("宝宝刚出生，报户口和医保能一起办吗", "birth-one-thing", "in_scope"),
    ("开一家小饭馆需要办什么许可证", "food-business-permit", "in_scope"),
    ("个税年度汇算退税什么时候到账", "income-tax-settlement", "in_scope"),
    ("驾照到期了在哪里换", "drivers-license", "in_scope"),
    ("公司不做了，注销要准备哪些材料", "company-deregistration", "in_scope"),
    ("我要投诉窗口工作人员态度差", None, "complaint_or_legal"),
    ("随申办刷脸一直失败登录不了", None, "platform_tech"),
]


@pytest.mark.parametrize(("text", "matter", "scope"), SAMPLES)
async def test_citizen_question_gets_the_right_matter_and_an_answer(h, text, matter, scope):
    user = await h.user()
    cid = await start_conversation(user, text)
    reply = await user.wait_for("message", timeout=20, conversation_id=cid,
                                pred=lambda d: d["sender"]["role"] == "bot")
    meta = reply["meta"]
    assert set(meta) >= {"intent", "confidence", "matter", "kb_article", "scope"}
    assert meta["scope"] == scope, meta
    if matter:
        assert meta["matter"] == matter, meta
        assert meta["kb_article"] and meta["kb_article"].startswith(matter), meta
        assert len(reply["text"]) > 20
        assert any(b["payload"] == "/request_human" for b in reply.get("buttons", []))
    stored = await h.store.messages.find_one({"conversation_id": cid, "seq": reply["seq"]})
    assert stored and stored["sender"]["role"] == "bot" and stored["text"] == reply["text"]
    if scope == "complaint_or_legal":
        await _no_handoff(h, cid)


async def _no_handoff(h, cid: str) -> None:
    conv = await h.store.conversations.find_one({"_id": cid})
    assert conv["state"] == "bot" and not conv.get("handed_off")


async def test_unresolved_feedback_hands_off_with_the_bots_summary(h):
    await h.reset_department("human-resources")
    agent = await h.agent(["human-resources"])
    user = await h.user()
    cid = await start_conversation(user, "失业金怎么领，要什么条件")
    first = await user.wait_for("message", timeout=20, conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    assert first["meta"]["matter"] == "unemployment-benefit"
    ack = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                      "text": "/feedback_unresolved"})
    assert ack["ok"]
    assigned = await agent.wait_for("assigned", timeout=20, pred=lambda d: d["conversation"]["id"] == cid)
    summary = assigned["conversation"]["summary"]
    assert summary["matter"] == "unemployment-benefit"
    assert summary["question"] and "失业" in summary["question"]
    assert summary["bot_answer"]


async def test_resolved_feedback_counts_as_bot_resolved(h):
    user = await h.user()
    cid = await start_conversation(user, "社保卡丢了去哪补办")
    await user.wait_for("message", timeout=20, conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                "text": "/feedback_resolved"})
    await user.wait_for("message", timeout=20, conversation_id=cid,
                        pred=lambda d: d["sender"]["role"] == "bot" and d["seq"] >= 4)
    conv = await h.store.conversations.find_one({"_id": cid})
    assert conv["bot_resolved"] is True and conv["state"] == "bot"

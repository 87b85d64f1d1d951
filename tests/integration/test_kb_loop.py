"""Agent answers flow into the KB: close with kb_suggestion → draft → trainer approves → article live."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from kb.search import KBSearcher
from tests.support import cmid, start_conversation


async def test_resolved_close_with_suggestion_becomes_a_live_article(h):
    await h.reset_department("housing-fund")
    agent = await h.agent(["housing-fund"])
    user = await h.user()
    question = "公积金贷款最长可以贷多少年呢"
    cid = await start_conversation(user, question, matter="housing-fund-loan")
    await user.wait_for("message", conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    ack = await user.call("handoff", {"conversation_id": cid})
    assert ack["ok"], ack
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    sent = await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                        "text": "贷款期限最长30年，且不超过法定退休年龄后5年。"})
    assert sent["ok"], sent
    answer = "公积金贷款期限最长30年，且不超过借款人法定退休年龄后5年。"
    closed = await agent.call("close", {"conversation_id": cid, "resolved": True, "kb_suggestion": answer})
    assert closed["ok"], closed

    username, _ = await h.make_staff([], "trainer")
    token = await h.staff_token(username)
    status, body = await h.http("GET", "/api/v1/trainer/drafts", token=token)
    assert status == 200
    draft = next(d for d in body["drafts"] if d["conversation_id"] == cid)
    assert draft["question"] == question and draft["answer"] == answer and draft["matter"] == "housing-fund-loan"

    # agents may not approve
    agent_token = await h.staff_token(agent.username)
    status, _ = await h.http("POST", f"/api/v1/trainer/drafts/{draft['id']}/approve", token=agent_token, json={})
    assert status == 403

    edited = "公积金贷款期限最长30年，且不超过借款人法定退休年龄后5年（以审批为准）。"
    status, body = await h.http("POST", f"/api/v1/trainer/drafts/{draft['id']}/approve", token=token, json={
        "matter": "housing-fund-loan", "question": question, "answer": edited, "intent": "ask_matter"})
    assert status == 200, body
    art_id = body["article"]["id"]
    assert art_id.startswith("housing-fund-loan.faq.") and body["applied"] is True
    assert body["nlu"] == {"changed": True, "errors": []}

    # the article is live in the bot's search index, in MongoDB and written back to the YAML file
    index = await KBSearcher(h.store, check_interval_s=0).fresh()
    hits = index.search(question, matter="housing-fund-loan", limit=3)
    assert hits and hits[0].article.id == art_id and hits[0].article.answer == edited
    root = Path(os.environ["BANGBAN_TRAINER_ROOT"])
    kb_file = yaml.safe_load((root / "data/kb/housing-fund-loan.yml").read_text(encoding="utf-8"))
    assert any(a["id"] == art_id and a["answer"] == edited for a in kb_file["articles"])
    # the user's question joined the NLU examples for the next training
    assert f"    - {question}\n" in (root / "data/nlu/ask.yml").read_text(encoding="utf-8")
    status, body = await h.http("GET", "/api/v1/trainer/drafts?status=approved", token=token)
    assert any(d["id"] == draft["id"] and d["article_id"] == art_id for d in body["drafts"])
    # approving twice is refused
    status, _ = await h.http("POST", f"/api/v1/trainer/drafts/{draft['id']}/approve", token=token, json={
        "matter": "housing-fund-loan", "question": question, "answer": edited})
    assert status == 409

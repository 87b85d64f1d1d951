"""Conversation review (对话回顾) against the real system: list, read, claim, correct, draft, test story."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.support import cmid, start_conversation

PHONE = "13912345678"
QUESTION = f"我想把公积金取出来付房租，怎么弄，电话{PHONE}"


def root() -> Path:
    return Path(os.environ["BANGBAN_TRAINER_ROOT"])


async def bot_conversation(h, text: str, then: str | None = None) -> str:
    """A conversation with the bot: `text`, its reply, and `then` (a follow-up) with its reply."""
    user = await h.user()
    cid = await start_conversation(user, text)
    await user.wait_for("message", timeout=20, conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    if then:
        ack = await user.call("message", {"client_msg_id": cmid(), "type": "text", "text": then,
                                          "conversation_id": cid})
        assert ack["ok"], ack
        await user.wait_for("message", timeout=20, conversation_id=cid,
                            pred=lambda d: d["sender"]["role"] == "bot" and d["seq"] > ack["seq"])
    return cid


@pytest.fixture
def reviewed_stories_kept():
    """The test stories this test saves are taken out afterwards: they would gate every later go-live."""
    path = root() / "data/test_stories/reviewed.yml"
    before = path.read_text(encoding="utf-8") if path.exists() else None
    yield
    if before is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(before, encoding="utf-8")


async def test_review_lists_reads_and_turns_a_conversation_into_training_data(h, reviewed_stories_kept):
    cid = await bot_conversation(h, QUESTION, then="要准备哪些材料")
    username, _ = await h.make_staff([], "trainer", name="回顾训练师")
    token = await h.staff_token(username)
    other = await h.staff_token((await h.make_staff([], "trainer", name="另一位训练师"))[0])

    status, body = await h.http("GET", "/api/v1/trainer/reviews?matter=housing-fund-withdrawal", token=token)
    assert status == 200, body
    row = next(c for c in body["conversations"] if c["id"] == cid)
    assert PHONE not in row["question"] and "139****5678" in row["question"] and row["review"] is None
    status, body = await h.http("GET", "/api/v1/trainer/reviews?outcome=handed_off&matter=housing-fund-withdrawal",
                                token=token)
    assert status == 200 and cid not in {c["id"] for c in body["conversations"]}
    status, body = await h.http("GET", "/api/v1/trainer/reviews?outcome=nonsense", token=token)
    assert status == 400

    status, body = await h.http("GET", f"/api/v1/trainer/reviews/{cid}", token=token)
    assert status == 200
    turn = body["conversation"]["turns"][0]
    seen = turn["understood"]
    assert seen["matter"] == "housing-fund-withdrawal" and seen["intent"] and seen["confidence"] is not None
    assert seen["kb_article"] and turn["answers"] and PHONE not in turn["text"]

    # an action needs a claim; a claim is the caller's alone
    status, body = await h.http("POST", f"/api/v1/trainer/reviews/{cid}/nlu", token=token,
                                json={"seq": turn["seq"], "intent": "ask_process"})
    assert status == 409 and body["error"]["code"] == "not_claimed"
    status, body = await h.http("POST", f"/api/v1/trainer/reviews/{cid}/claim", token=token)
    assert status == 200 and body["review"]["by"]["name"] == "回顾训练师"
    status, body = await h.http("POST", f"/api/v1/trainer/reviews/{cid}/claim", token=other)
    assert status == 409 and body["error"]["code"] == "already_claimed"

    ask = root() / "data/nlu/ask.yml"
    status, body = await h.http("POST", f"/api/v1/trainer/reviews/{cid}/nlu", token=token, json={
        "seq": turn["seq"], "intent": "ask_process", "matter": "housing-fund-withdrawal", "phrase": "不在问题里"})
    assert status == 400
    status, body = await h.http("POST", f"/api/v1/trainer/reviews/{cid}/nlu", token=token, json={
        "seq": turn["seq"], "intent": "ask_process", "matter": "housing-fund-withdrawal", "phrase": "公积金取出来"})
    assert status == 200 and body["changed"], body
    text = ask.read_text(encoding="utf-8")
    assert PHONE not in text and "139****5678" in text
    assert '[公积金取出来]{"entity": "matter", "value": "housing-fund-withdrawal"}' in text
    assert "- lookup: matter" in text and "    - 公积金取出来\n" in text

    status, body = await h.http("POST", f"/api/v1/trainer/reviews/{cid}/draft", token=token,
                                json={"seq": turn["seq"], "answer": "可以按月提取公积金支付房租，在随申办办理。"})
    assert status == 200 and body["draft"]["status"] == "pending", body
    status, body = await h.http("GET", "/api/v1/trainer/drafts", token=token)
    assert any(d["conversation_id"] == cid and PHONE not in d["question"] for d in body["drafts"])

    status, body = await h.http("POST", f"/api/v1/trainer/reviews/{cid}/test-story", token=token,
                                json={"seqs": [turn["seq"]], "intents": {str(turn["seq"]): "ask_process"}})
    assert status == 200, body
    stories = yaml.safe_load((root() / "data/test_stories/reviewed.yml").read_text(encoding="utf-8"))
    story = next(s for s in stories["stories"] if cid[:8] in s["story"])
    assert story["steps"][0]["intent"] == "ask_process" and story["steps"][1] == {"action": "action_answer"}
    assert PHONE not in story["steps"][0]["user"]
    # the whole exchange: both user turns, each with the intent the bot read
    status, body = await h.http("GET", f"/api/v1/trainer/reviews/{cid}", token=token)
    turns = body["conversation"]["turns"]
    assert len(turns) == 2 and all(t["answers"] for t in turns)
    status, body = await h.http("POST", f"/api/v1/trainer/reviews/{cid}/test-story", token=token,
                                json={"seqs": [t["seq"] for t in turns]})
    assert status == 200, body
    assert [s["user"] for s in body["story"]["steps"][::2]] == [t["text"] for t in turns]
    assert [s["intent"] for s in body["story"]["steps"][::2]] == [t["understood"]["intent"] for t in turns]

    status, body = await h.http("POST", f"/api/v1/trainer/reviews/{cid}/done", token=other)
    assert status == 409
    status, body = await h.http("POST", f"/api/v1/trainer/reviews/{cid}/done", token=token)
    assert status == 200 and body["review"]["status"] == "done"
    assert [a["kind"] for a in body["review"]["actions"]] == ["nlu", "draft", "test", "test"]
    status, body = await h.http("GET", "/api/v1/trainer/reviews?matter=housing-fund-withdrawal", token=token)
    assert next(c for c in body["conversations"] if c["id"] == cid)["review"]["status"] == "done"

    agent_user, _ = await h.make_staff(["housing-fund"], "agent")
    status, _ = await h.http("GET", "/api/v1/trainer/reviews", token=await h.staff_token(agent_user))
    assert status == 403


async def test_kb_articles_by_verified_date_oldest_first(h):
    username, _ = await h.make_staff([], "trainer")
    token = await h.staff_token(username)
    # two articles whose content was last checked long ago (every shipped article was checked recently)
    old = {"retirement.fees": "2025-03-01", "housing-fund-loan.process": "2025-09-01"}
    for aid, day in old.items():
        assert (await h.store.kb_articles.update_one({"_id": aid}, {"$set": {"verified_date": day}})).matched_count
    status, body = await h.http("GET", "/api/v1/trainer/kb/verified", token=token)
    assert status == 200 and len(body["articles"]) > 100
    days = [a["verified_date"] for a in body["articles"]]
    assert days == sorted(days) and all(days)
    assert [a["id"] for a in body["articles"][:2]] == list(old)
    status, body = await h.http("GET", "/api/v1/trainer/kb/verified?before=2025-06-01", token=token)
    assert status == 200 and [a["id"] for a in body["articles"]] == ["retirement.fees"]
    status, body = await h.http("GET", "/api/v1/trainer/kb/verified?before=2026-01-01&matter=housing-fund-loan",
                                token=token)
    assert [a["id"] for a in body["articles"]] == ["housing-fund-loan.process"]

    for aid in old:
        await h.store.kb_articles.update_one({"_id": aid}, {"$set": {"verified_date": days[-1]}})

    agent_user, _ = await h.make_staff(["housing-fund"], "agent")
    status, _ = await h.http("GET", "/api/v1/trainer/kb/verified", token=await h.staff_token(agent_user))
    assert status == 403

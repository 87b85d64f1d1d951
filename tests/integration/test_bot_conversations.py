"""小申 in conversations through the bridge (real Rasa, real Socket.IO clients): follow-ups,
clarification, thanks, requests for a person and complaints without the keywords, platform
faults without 登录/系统, and a specific alias against a generic matter word (issue 13)."""

from __future__ import annotations

import asyncio

from tests.support import cmid, start_conversation


async def _bot_reply(user, cid: str, after: int = 0) -> dict:
    return await user.wait_for("message", timeout=20, conversation_id=cid,
                               pred=lambda d: d["sender"]["role"] == "bot" and d["seq"] > after)


async def _say(user, cid: str, text: str) -> None:
    ack = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text", "text": text})
    assert ack["ok"], ack


async def _handed_off(h, cid: str, timeout: float = 10) -> bool:
    for _ in range(int(timeout * 10)):
        conv = await h.store.conversations.find_one({"_id": cid})
        if conv.get("handed_off") or conv["state"] != "bot":
            return True
        await asyncio.sleep(0.1)
    return False


async def _ask(h, text: str) -> tuple[object, str, dict]:
    user = await h.user()
    cid = await start_conversation(user, text)
    return user, cid, await _bot_reply(user, cid)


async def test_specific_alias_beats_generic_word_and_the_follow_up_stays_on_it(h):
    user, cid, first = await _ask(h, "我退休了，想把住房公积金全部提出来")
    assert first["meta"]["matter"] == "housing-fund-withdrawal", first["meta"]
    await _say(user, cid, "钱多久能到账")
    follow = await _bot_reply(user, cid, first["seq"])
    assert follow["meta"]["matter"] == "housing-fund-withdrawal", follow["meta"]
    assert follow["meta"]["kb_article"] == "housing-fund-withdrawal.time_limit", follow["meta"]


async def test_the_article_answers_the_question_not_only_the_matter(h):
    for text, article in (("生育津贴是按谁的工资算的能拿多少", "maternity-benefit.faq.01"),
                          ("驾照超期三个月了还可以换证吗", "drivers-license.faq.01")):
        _, _, reply = await _ask(h, text)
        assert reply["meta"]["kb_article"] == article, reply["meta"]


async def test_thanks_after_an_answer_closes_the_loop_without_an_article(h):
    user, cid, first = await _ask(h, "补办社保卡要不要钱")
    assert first["meta"]["kb_article"] == "social-security-card.fees", first["meta"]
    await _say(user, cid, "问题解决啦，太感谢了")
    closing = await _bot_reply(user, cid, first["seq"])
    assert closing["meta"]["kb_article"] in (None, "social-security-card.fees"), closing["meta"]
    assert "handoff" not in closing
    conv = await h.store.conversations.find_one({"_id": cid})
    assert conv["bot_resolved"] is True and conv["state"] == "bot"


async def test_a_vague_question_gets_a_clarifying_turn_with_candidates(h):
    user, cid, ask = await _ask(h, "证件丢了怎么办")
    assert ask["meta"]["kb_article"] is None and ask["text"].startswith("您想问的是"), ask
    choices = [b for b in ask["buttons"] if b["payload"].startswith("/ask_matter")]
    assert 1 <= len(choices) <= 3 and any(b["payload"] == "/request_human" for b in ask["buttons"])
    await _say(user, cid, choices[0]["payload"])
    answer = await _bot_reply(user, cid, ask["seq"])
    assert answer["meta"]["kb_article"] and answer["meta"]["matter"], answer["meta"]


async def test_out_of_scope_chitchat_gets_no_article(h):
    for text in ("附近有什么好吃的本帮菜馆推荐吗", "今晚看什么电影好"):
        _, _, reply = await _ask(h, text)
        assert reply["meta"]["kb_article"] is None and reply["meta"]["scope"] == "chitchat", reply["meta"]


async def test_a_request_for_a_person_without_the_word_hands_off(h):
    _, cid, reply = await _ask(h, "我想直接跟你们负责的同志说")
    assert reply.get("meta", {}).get("kb_article") is None
    assert await _handed_off(h, cid)


async def test_reconsideration_and_compensation_without_keywords_get_the_channels(h):
    for text in ("我的申请被拒了我觉得不合理想让上级重新审查", "网站故障导致我错过了办理期限要求你们赔偿"):
        _, cid, reply = await _ask(h, text)
        assert reply["meta"]["scope"] == "complaint_or_legal" and reply["meta"]["kb_article"] is None, reply
        conv = await h.store.conversations.find_one({"_id": cid})
        assert conv["state"] == "bot" and not conv.get("handed_off")


async def test_a_platform_fault_without_login_words_goes_to_the_big_data_center(h):
    _, _, reply = await _ask(h, "点了下一步按钮没有任何反应，换浏览器也一样")
    meta = reply["meta"]
    assert meta["scope"] == "platform_tech", meta
    assert (meta["kb_article"] or "").startswith("platform-tech.") or reply.get("handoff"), reply

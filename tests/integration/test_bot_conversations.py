"""小申 in conversations through the bridge (real Rasa, real Socket.IO clients): follow-ups,
clarification, thanks, requests for a person and complaints without the keywords, platform
faults without 登录/系统, a specific alias against a generic matter word, a first-turn thank-you,
figures and how-tos with their source, a question placed by the matter model, and (session 12) follow-ups that
keep their matter, a bare topic asked back, a complaint inside another matter's conversation (issue 13), and (session
13) a bare call for a person and matter words typed in pinyin, and (session 14) typos of matter words and praise of
the staff."""

from __future__ import annotations

import asyncio

from bench import oplog
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


async def _follow_up(h, text: str, matter: str, then: str) -> dict:
    """The bot's reply to `then`, asked after `text` was answered in `matter`."""
    user, cid, first = await _ask(h, text)
    assert first["meta"]["matter"] == matter, first["meta"]
    await _say(user, cid, then)
    return await _bot_reply(user, cid, first["seq"])


async def test_specific_alias_beats_generic_word_and_the_follow_up_stays_on_it(h):
    follow = await _follow_up(h, "我退休了，想把住房公积金全部提出来", "housing-fund-withdrawal", "钱多久能到账")
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


async def test_a_first_turn_thank_you_saying_it_is_solved_gets_no_article(h):
    for text in ("好的 问题都解决了 谢谢你啊", "不用了 已经弄好了 谢谢"):
        _, cid, reply = await _ask(h, text)
        assert reply["meta"]["kb_article"] is None and "handoff" not in reply, reply["meta"]
        assert not await _handed_off(h, cid, timeout=0.5)


async def test_figures_and_how_tos_are_answered_with_the_number_and_the_source(h):
    for text, article, figure in (
        ("用公积金贷款买第一套房 现在年利率是多少", "housing-fund-loan.faq.02", "2.6%"),
        ("赴台湾个人游签注一次要多少钱", "exit-entry-documents.fees", "赴台签注：一次有效15元"),
        ("想知道孩子该上哪所对口小学 去哪查", "school-enrollment.catchment", ""),
        ("到退休大概每个月能拿多少养老金 怎么估算", "retirement.pension-estimate", ""),
        ("纸质发票邮寄过来一般要几天", "invoice-application.mailing", ""),
    ):
        _, _, reply = await _ask(h, text)
        assert reply["meta"]["kb_article"] == article, (text, reply["meta"])
        assert figure in reply["text"] and "依据：" in reply["text"], reply["text"]


async def test_a_question_without_any_alias_is_placed_by_the_matter_model(h):
    _, _, reply = await _ask(h, "施工证领了以后没按时开工会怎么样")
    assert reply["meta"]["matter"] == "construction-permit", reply["meta"]
    assert (reply["meta"]["kb_article"] or "").startswith("construction-permit."), reply["meta"]


async def test_someone_in_charge_is_a_request_for_a_person_and_being_made_difficult_a_complaint(h):
    _, cid, reply = await _ask(h, "你处理不了就叫你们领导出来")
    assert reply.get("meta", {}).get("kb_article") is None
    assert await _handed_off(h, cid)
    _, cid, reply = await _ask(h, "窗口那个人就是故意为难我")
    assert reply["meta"]["scope"] == "complaint_or_legal" and reply["meta"]["kb_article"] is None, reply["meta"]
    assert not await _handed_off(h, cid, timeout=0.5)


async def test_a_turn_ending_in_a_handoff_writes_what_the_bot_learned_with_the_handoff(h):
    """A request for a person naming a matter: the matter and scope the bot learned ride on the handoff's
    guarded write, so the conversation is written once (it was twice: the learned fields, then the handoff)."""
    since = await oplog.last(h.store.client)
    _, cid, reply = await _ask(h, "公积金提取的事我想找个经办员帮我核对一下")
    assert await _handed_off(h, cid)
    conv = await h.store.conversations.find_one({"_id": cid})
    assert reply["meta"]["matter"] and conv["matter"] == reply["meta"]["matter"], (reply["meta"], conv)
    assert conv["scope"] == "in_scope" and conv["state"] in ("queued", "with_agent"), conv
    updates = await h.store.client.local["oplog.rs"].find(
        {"ts": {"$gt": since}, "op": "u", "ns": f"{h.store.db.name}.conversations", "o2._id": cid}).to_list(None)
    assert len(updates) == 1, updates


# Session 12 (s12-conv's outside check of whole conversations): what a turn means given the turns before it


async def test_a_follow_up_with_a_filler_word_of_another_matter_stays_on_its_matter(h):
    follow = await _follow_up(h, "开饭店要办的食品经营许可证怎么申请", "food-business-permit", "大概多少个工作日")
    assert follow["meta"]["matter"] == "food-business-permit", follow["meta"]


async def test_a_bare_complaint_in_a_conversation_about_another_matter_gets_the_channels(h):
    reply = await _follow_up(h, "老年综合津贴怎么申请", "elderly-allowance", "我要举报这个人")
    assert reply["meta"]["scope"] == "complaint_or_legal" and reply["meta"]["kb_article"] is None, reply["meta"]


async def test_a_bare_topic_shared_by_several_matters_is_asked_back_and_a_click_answers(h):
    user, cid, ask = await _ask(h, "想问下公积金")
    assert ask["meta"]["kb_article"] is None, ask["meta"]
    choices = [b["payload"] for b in ask["buttons"] if b["payload"].startswith('/ask_matter{"matter"')]
    assert len(choices) >= 2 and "/request_human" in [b["payload"] for b in ask["buttons"]], ask["buttons"]
    await _say(user, cid, choices[1])
    answer = await _bot_reply(user, cid, ask["seq"])
    assert answer["meta"]["matter"] in choices[1] and answer["meta"]["kb_article"], answer["meta"]


async def test_where_to_do_it_after_an_answer_is_a_follow_up_not_small_talk(h):
    follow = await _follow_up(h, "养狗要去办犬证吗", "dog-registration", "那在哪里办呀")
    assert follow["meta"]["matter"] == "dog-registration" and follow["meta"]["kb_article"], follow["meta"]


async def test_a_bare_call_for_a_person_hands_off(h):
    # session 13: one or two words the NLU was not trained on ("真人", "客服在吗"), whatever it read them as
    for text in ("真人在不在", "喂 有人吗"):
        _, cid, reply = await _ask(h, text)
        assert reply.get("meta", {}).get("kb_article") is None, reply
        assert await _handed_off(h, cid), text


async def test_a_matter_typed_in_pinyin_is_answered_from_it(h):
    # session 13: the pinyin of a matter word read as hanzi (kb/pinyin.py) before the matter is decided
    _, _, reply = await _ask(h, "shebaoka丢了 补一张要带什么")
    assert reply["meta"]["matter"] == "social-security-card", reply["meta"]
    assert (reply["meta"]["kb_article"] or "").startswith("social-security-card."), reply["meta"]


async def test_a_matter_word_typed_wrong_is_answered_from_it(h):
    # session 14: a traditional character (護照) and a homophone typo (公基金) read as the matter word (kb/typos.py):
    # the passport is answered (not the driving licence), the bare topic asked back like 公积金 (not one fund matter)
    _, _, reply = await _ask(h, "護照过期了怎么换")
    assert reply["meta"]["matter"] == "exit-entry-documents", reply["meta"]
    _, _, reply = await _ask(h, "公基金")
    assert reply["text"].startswith("您想问的是") and reply["meta"].get("kb_article") is None, reply


async def test_praise_of_the_staff_is_thanked_not_handed_off_or_given_the_complaint_channels(h):
    # session 14: praise read by the NLU as a complaint or a call for a person is passed on with thanks
    _, cid, reply = await _ask(h, "昨天社保中心窗口那位老师特别耐心 帮我谢谢她")
    assert "表扬" in reply["text"] and reply["meta"].get("kb_article") is None, reply
    assert reply["meta"]["scope"] == "chitchat", reply["meta"]
    assert not await _handed_off(h, cid, timeout=1)

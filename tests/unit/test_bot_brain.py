"""小申's decisions over the real KB: answers, feedback, handoff, scopes, hours (pure logic)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.actions.brain import Brain, Turn, _when
from bot.actions.ranking import aspect_probs
from tests.unit.kb_fixtures import SH, Status, open_brain, real_brain, say


@pytest.fixture(scope="module")
def brain() -> Brain:
    return open_brain()


def test_aspect_answer_has_short_answer_steps_buttons_and_meta(brain):
    r = say(brain, "action_answer", "ask_materials", "提取公积金要带什么材料")
    m = r.message
    assert m["meta"] == {
        "intent": "ask_materials",
        "confidence": 0.9,
        "matter": "housing-fund-withdrawal",
        "kb_article": "housing-fund-withdrawal.materials",
        "scope": "in_scope",
    }
    assert "\n1. " in m["text"] and m["text"].endswith("以上能解决您的问题吗？")
    assert [b["payload"] for b in m["buttons"]] == [
        "/feedback_resolved",
        "/feedback_unresolved",
        "/request_human",
    ]
    assert r.slots["matter"] == "housing-fund-withdrawal" and r.slots["awaiting_feedback"] is True


def test_follow_up_uses_the_matter_of_the_conversation(brain):
    r = say(brain, "action_answer", "ask_time_limit", "那要多久", matter="residence-points")
    assert r.message["meta"]["matter"] == "residence-points"
    assert r.message["meta"]["kb_article"] == "residence-points.time_limit"


def test_client_hint_names_the_matter(brain):
    turn = Turn(intent="ask_fees", confidence=0.8, text="要收费吗", hint_matter="drivers-license")
    assert brain.respond("action_answer", turn).message["meta"]["kb_article"] == "drivers-license.fees"


def test_resolved_and_unresolved(brain):
    slots = {
        "matter": "housing-fund-withdrawal",
        "last_question": "提公积金要什么材料",
        "last_answer": "身份证",
        "last_article": "housing-fund-withdrawal.materials",
        "last_scope": "in_scope",
        "awaiting_feedback": True,
    }
    ok = say(brain, "action_feedback_resolved", "feedback_resolved", "/feedback_resolved", 1.0, **slots)
    assert ok.message["outcome"] == "bot_resolved" and "handoff" not in ok.message
    # the closing words answer from no article (the last one's cards are not sent again)
    assert ok.message["meta"]["kb_article"] is None and ok.message["meta"]["matter"] == "housing-fund-withdrawal"
    thanked = say(brain, "action_smalltalk", "thanks", "好的 解决了 谢谢", **slots).message
    assert thanked["outcome"] == "bot_resolved" and thanked["meta"]["kb_article"] is None
    bad = say(
        brain, "action_feedback_unresolved", "feedback_unresolved", "/feedback_unresolved", 1.0, **slots
    )
    h = bad.message["handoff"]
    assert h["reason"] == "unresolved" and h["department"] == "housing-fund"
    assert h["summary"] == {
        "matter": "housing-fund-withdrawal",
        "scope": "in_scope",
        "question": "提公积金要什么材料",
        "bot_answer": "身份证",
        "kb_article": "housing-fund-withdrawal.materials",
    }
    # a typed "yes"/"no" answers the open feedback question
    assert say(brain, "action_smalltalk", "affirm", "嗯", **slots).message["outcome"] == "bot_resolved"
    assert (
        say(brain, "action_smalltalk", "deny", "不是", **slots).message["handoff"]["reason"] == "unresolved"
    )


def test_explicit_request_for_a_human(brain):
    r = say(brain, "action_handoff", "request_human", "转人工", matter="residence-permit")
    assert r.message["handoff"]["reason"] == "user_request"
    assert r.message["handoff"]["summary"]["matter"] == "residence-permit"


def test_complaint_gets_the_channel_and_no_handoff(brain):
    r = say(brain, "action_complaint_channel", "complaint_or_legal", "窗口态度差我要投诉")
    assert r.message["meta"]["scope"] == "complaint_or_legal"
    assert "handoff" not in r.message and "12345" in r.message["text"]
    r = say(brain, "action_answer", "ask_offline", "对处罚不服 行政复议去哪里申请")
    assert r.message["meta"]["scope"] == "complaint_or_legal" and "复议" in r.message["text"]


def test_a_remedy_that_is_a_matter_is_answered_from_it(brain):
    """Labour arbitration and 12315 are catalogue matters (wave 2): asking how to use them is a question."""
    for intent, action in (("ask_offline", "action_answer"), ("complaint_or_legal", "action_complaint_channel")):
        r = say(brain, action, intent, "劳动仲裁去哪里申请")
        assert r.message["meta"]["scope"] == "in_scope", intent
        assert r.message["meta"]["matter"] == "labor-dispute-arbitration"
    r = say(brain, "action_complaint_channel", "complaint_or_legal", "窗口态度差我要投诉")
    assert r.message["meta"]["scope"] == "complaint_or_legal"


def test_complaint_without_complaint_words_is_answered(brain):
    r = say(brain, "action_complaint_channel", "complaint_or_legal", "异地就医备案怎么做", conf=0.45)
    assert r.message["meta"]["scope"] == "in_scope"
    assert r.message["meta"]["matter"] == "medical-remote-filing"


def test_platform_tech_answers_from_platform_articles_then_hands_off_to_bigdata(brain):
    r = say(brain, "action_platform_tech", "platform_tech", "短信验证码一直收不到")
    assert r.message["meta"]["scope"] == "platform_tech"
    assert r.message["meta"]["kb_article"].startswith("platform-tech.")
    h = say(brain, "action_handoff", "request_human", "转人工", **r.slots).message["handoff"]
    assert h["department"] == "bigdata-center" and h["summary"]["scope"] == "platform_tech"


def test_low_confidence_twice_hands_off(brain):
    first = say(brain, "action_fallback", "nlu_fallback", "啊啊啊哦哦", conf=0.3)
    assert first.message["outcome"] == "unanswered" and first.message["question"] == "啊啊啊哦哦"
    assert "handoff" not in first.message and first.slots["low_conf_count"] == 1
    second = say(brain, "action_fallback", "nlu_fallback", "嗯嗯哈哈", conf=0.3, low_conf_count=1)
    assert second.message["handoff"]["reason"] == "low_confidence"
    assert second.slots["low_conf_count"] == 0


def test_low_confidence_with_a_named_matter_still_answers(brain):
    r = say(brain, "action_fallback", "nlu_fallback", "老年综合津贴咋领", conf=0.3)
    assert r.message["meta"]["matter"] == "elderly-allowance" and r.message["meta"]["kb_article"]


def test_smalltalk_scope(brain):
    for intent in ("greet", "thanks", "goodbye", "chitchat"):
        r = say(brain, "action_smalltalk", intent, "你好")
        assert r.message["meta"]["scope"] == "chitchat" and "handoff" not in r.message


def test_out_of_hours_handoff_says_when_people_are_back():
    b = real_brain()
    monday = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)
    b.help_status = lambda department: Status(False, monday)
    r = say(b, "action_handoff", "request_human", "转人工", matter="residence-permit")
    assert "handoff" in r.message and r.message["handoff"]["after_hours"] is True
    assert "留言" in r.message["text"] and "9:00" in r.message["text"]


def test_when_wording():
    now = dt.datetime(2026, 3, 6, 20, 0, tzinfo=SH)  # a Friday evening
    assert _when(dt.datetime(2026, 3, 6, 21, 0, tzinfo=SH), now) == "今天21:00"
    assert _when(dt.datetime(2026, 3, 7, 9, 0, tzinfo=SH), now) == "明天9:00"
    assert _when(dt.datetime(2026, 3, 9, 9, 0, tzinfo=SH), now) == "3月9日（周一）9:00"


def test_a_how_to_question_in_context_is_not_taken_for_a_fault(brain):
    r = say(brain, "action_answer", "ask_process", "在app上怎么弄", matter="residence-permit")
    assert r.message["meta"]["scope"] == "in_scope" and r.message["meta"]["matter"] == "residence-permit"
    r = say(brain, "action_answer", "ask_process", "随申办登录不上怎么办")
    assert r.message["meta"]["scope"] == "platform_tech"


def test_a_request_for_a_person_naming_a_matter_goes_to_its_department(brain):
    r = say(brain, "action_handoff", "request_human", "居住证积分的事我想跟懂行的人当面聊聊")
    assert r.message["handoff"]["department"] == "human-resources"
    assert r.message["meta"]["matter"] == "residence-points" and r.message["meta"]["scope"] == "in_scope"
    r = say(brain, "action_handoff", "request_human", "帮我转人工")
    assert r.message["meta"]["matter"] is None and "handoff" in r.message


def test_unsure_feedback_calling_for_someone_is_handed_off(brain):
    ranking = [("feedback_resolved", 0.6), ("complaint_or_legal", 0.2), ("chitchat", 0.1), ("request_human", 0.05)]
    turn = Turn(intent="feedback_resolved", confidence=0.6, text="现在还有人在吗 都半天没动静了", ranking=ranking)
    r = brain.respond("action_feedback_resolved", turn)
    assert "handoff" in r.message and r.message["meta"]["kb_article"] is None
    turn = Turn(intent="thanks", confidence=0.6, text="好的 谢谢你们", ranking=[("thanks", 0.6), ("chitchat", 0.3)])
    assert "handoff" not in brain.respond("action_smalltalk", turn).message


@pytest.mark.parametrize(
    ("action", "text", "ranking"),
    [  # requests for a person phrased without 人工, read by the NLU as something else (real parse rankings)
        ("action_complaint_channel", "这个问题太复杂了 还是找个懂行的吧",
         [("complaint_or_legal", 0.517), ("request_human", 0.196), ("feedback_resolved", 0.049)]),
        ("action_fallback", "能不能有个人帮我看看我的材料对不对",
         [("nlu_fallback", 0.3), ("complaint_or_legal", 0.494), ("request_human", 0.493)]),
        ("action_feedback_unresolved", "我还是想问问窗口的老师",
         [("feedback_unresolved", 0.56), ("ask_matter", 0.282), ("request_human", 0.069)]),
        ("action_answer", "想找个具体办事的同志问问", [("ask_matter", 0.65), ("request_human", 0.327)]),
        ("action_answer", "我要和办事员通话",
         [("ask_matter", 0.426), ("complaint_or_legal", 0.306), ("request_human", 0.179)]),
    ],
)
def test_a_request_for_a_person_without_the_usual_words_is_handed_off(brain, action, text, ranking):
    turn = Turn(intent=ranking[0][0], confidence=ranking[0][1], text=text, ranking=ranking)
    r = brain.respond(action, turn)
    assert "handoff" in r.message and r.message["meta"]["kb_article"] is None


def test_a_question_naming_a_matter_with_a_person_word_is_still_answered(brain):
    ranking = [("ask_matter", 0.6), ("request_human", 0.2), ("ask_process", 0.1)]
    turn = Turn(intent="ask_matter", confidence=0.6, text="教师资格证的认定找哪个老师办", ranking=ranking)
    r = brain.respond("action_answer", turn)
    assert "handoff" not in r.message and r.message["meta"]["matter"] == "teacher-qualification"


@pytest.mark.parametrize(
    ("text", "ranking", "articles"),
    [  # the matter's own words (身份证, 公积金) are in all its articles: the words that tell one apart decide
        ("身份证掉了 补办要带什么东西", [("ask_materials", 0.99)], {"id-card-renewal.materials"}),
        ("老公的公积金我能帮他取吗", [("ask_conditions", 0.93), ("ask_matter", 0.02)],
         {"housing-fund-withdrawal.faq.06", "housing-fund-withdrawal.faq.07"}),  # a spouse's fund
        ("提车以后上牌需要什么资料", [("ask_materials", 0.81), ("ask_conditions", 0.15)],
         {"vehicle-registration.materials"}),
    ],
)
def test_the_article_is_told_apart_by_the_words_of_its_matter_that_differ(brain, text, ranking, articles):
    turn = Turn(intent=ranking[0][0], confidence=ranking[0][1], text=text, ranking=ranking)
    assert brain.respond("action_answer", turn).message["meta"]["kb_article"] in articles


@pytest.mark.parametrize(
    ("text", "entity", "ranking", "article"),
    [  # the question shares single characters, not whole bigrams, with the FAQ on its situation (real parses)
        ("在国外看病的钱能报吗", None, [("ask_conditions", 0.742), ("ask_matter", 0.059), ("ask_fees", 0.049),
                                ("request_human", 0.043), ("ask_process", 0.041)], "medical-reimbursement.faq.04"),
        ("注销以后公司的社保账户怎么办", "company-deregistration", [("ask_matter", 0.754), ("ask_process", 0.112),
         ("ask_conditions", 0.063), ("complaint_or_legal", 0.041)], "company-deregistration.faq.06"),
    ],
)
def test_a_faq_on_the_asked_situation_beats_the_aspect_article(brain, text, entity, ranking, article):
    entities = [{"entity": "matter", "value": entity}] if entity else []
    turn = Turn(intent=ranking[0][0], confidence=ranking[0][1], text=text, ranking=ranking, entities=entities)
    assert brain.respond("action_answer", turn).message["meta"]["kb_article"] == article


@pytest.mark.parametrize("text", ["从外省转学来上海读书 手续怎么办", "老家的孩子转学到上海来 怎么办"])
def test_a_plain_how_to_question_gets_the_process_article_not_a_faq_on_its_situation(brain, text):
    # the process article's paraphrases word the plain question (转学手续怎么办), not only the online way
    ranking = [("ask_matter", 0.6), ("ask_process", 0.2), ("ask_progress", 0.1)]
    turn = Turn(intent="ask_matter", confidence=0.6, text=text, ranking=ranking)
    assert brain.respond("action_answer", turn).message["meta"]["kb_article"] == "school-transfer.process"


def test_a_long_rambling_question_is_ranked_by_its_telling_words_not_only_its_aspect(brain):
    # greetings and small talk that no article of the matter holds used to weigh in the similarity's
    # denominator, shrinking every article's match until the asked aspect (conditions) alone decided
    text = "你好 我想问一下哈 驾照过期快半年了 一直在外面忙没顾上 现在还换得了伐 谢谢啊 急的"
    ranking = [("ask_conditions", 0.8), ("ask_matter", 0.1)]
    turn = Turn(intent="ask_conditions", confidence=0.8, text=text, ranking=ranking,
                entities=[{"entity": "matter", "value": "drivers-license"}])
    assert brain.respond("action_answer", turn).message["meta"]["kb_article"] == "drivers-license.faq.01"


def test_who_does_it_asked_indirectly_gets_the_process_article(brain):
    # "is it the company or me who applies" asks how it is done, though the NLU reads no ask_process
    text = "毕业落户这个事情 是公司办还是我自己申请"
    ranking = [("complaint_or_legal", 0.5), ("ask_process", 0.2), ("ask_conditions", 0.2)]
    turn = Turn(intent="ask_matter", confidence=0.5, text=text, ranking=ranking,
                entities=[{"entity": "matter", "value": "graduate-hukou"}])
    assert brain.respond("action_answer", turn).message["meta"]["kb_article"] == "graduate-hukou.process"


@pytest.mark.parametrize(
    ("text", "matter"),
    [("个人所得税多交了 网站上怎么申请退回", "income-tax-settlement"),
     ("资质从三级升二级 网站上在哪申报", "construction-enterprise-qualification")],
)
def test_a_matter_question_naming_the_app_or_a_website_is_not_a_fault(brain, text, matter):
    # a weak platform cue (网站, app) without a named matter read it as a fault even when model and retrieval agree
    ranking = [("ask_process", 0.8), ("platform_tech", 0.1)]
    r = brain.respond("action_answer", Turn(intent="ask_process", confidence=0.8, text=text, ranking=ranking))
    assert r.message["meta"]["scope"] == "in_scope" and r.message["meta"]["matter"] == matter
    fault = Turn(intent="ask_process", confidence=0.8, text="小程序上一直转圈", ranking=ranking)
    r = brain.respond("action_answer", fault)
    assert r.message["meta"]["scope"] == "platform_tech"


@pytest.mark.parametrize(
    ("text", "aspect"),
    [("医保转移我想当面办 哪里有柜台", "offline"), ("契税要跑到哪里去交", "offline"),
     ("生育津贴是单位报还是个人报", "process"), ("户籍证明能不能不去派出所 在家里就开出来", "process")],
)
def test_a_place_to_go_or_who_files_it_asked_in_everyday_words_is_cued(text, aspect):
    # session 9: 当面/柜台/跑到哪里 ask for the office, 单位报/个人报/在家里就 how it is done; the NLU read neither
    probs = aspect_probs(text, [("ask_materials", 0.6), ("ask_conditions", 0.3)])
    assert probs[aspect] >= 0.4 - 1e-9


def test_an_office_asked_in_everyday_words_gets_the_offline_article(brain):
    # the NLU reads a general question leaning to process; 当面 and 柜台 ask where to go in person
    text = "医保转移我想当面办 哪里有柜台"
    turn = Turn(intent="ask_matter", confidence=0.6, text=text, ranking=[("ask_matter", 0.6), ("ask_process", 0.3)],
                entities=[{"entity": "matter", "value": "medical-insurance-transfer"}])
    assert brain.respond("action_answer", turn).message["meta"]["kb_article"] == "medical-insurance-transfer.offline"


def test_a_citizen_who_cannot_do_it_online_is_asking_for_the_way_in_person():
    # 手机上弄不来 / 不会用手机 is no process question: the online steps are what they cannot follow
    probs = aspect_probs("我妈手机上弄不来 失业金能不能直接跑去办", [("ask_process", 0.9), ("ask_conditions", 0.1)])
    assert probs["offline"] >= 0.4 - 1e-9 and probs["offline"] > probs["conditions"]


@pytest.mark.parametrize(
    ("text", "aspect"),
    [("居住证积分 到哪申请", "process"), ("技能补贴在哪里申领", "process"), ("港澳通行证怎么约", "process"),
     ("想用公积金贷款 从哪一步开始", "process"), ("退休手续在哪办", "offline"),
     ("失业金我能领吗", "conditions"), ("着火了 能不能申请临时救助", "conditions"), ("技能补贴我能领不", "conditions")],
)
def test_where_one_applies_and_whether_one_may_are_cued(text, aspect):
    # session 10: 到哪申请/怎么约 ask how it is done, 在哪办 where, 能不能领/我能领吗 whether one qualifies
    probs = aspect_probs(text, [("ask_progress", 0.6), ("ask_materials", 0.3)])
    assert probs[aspect] >= 0.4 - 1e-9


def test_where_to_apply_gets_the_steps_not_the_progress_article(brain):
    # the NLU reads 到哪申请 as progress (0.64); the question asks where and how to apply
    ranking = [("ask_progress", 0.64), ("ask_matter", 0.16), ("ask_offline", 0.07), ("ask_process", 0.07)]
    turn = Turn(intent="ask_progress", confidence=0.64, text="居住证积分 到哪申请", ranking=ranking,
                entities=[{"entity": "matter", "value": "residence-points"}])
    assert brain.respond("action_answer", turn).message["meta"]["kb_article"] == "residence-points.process"


def test_an_eligibility_question_gets_the_conditions_not_the_faq_of_the_amount(brain):
    # 考一个证能补贴多少钱 shares 考/证/补贴 with the question, but the question asks whether one may claim it
    ranking = [("ask_conditions", 0.89), ("ask_matter", 0.06), ("complaint_or_legal", 0.02)]
    turn = Turn(intent="ask_conditions", confidence=0.89, text="考了个电工证 技能补贴我能领不", ranking=ranking,
                entities=[{"entity": "matter", "value": "vocational-training-subsidy"}])
    article = brain.respond("action_answer", turn).message["meta"]["kb_article"]
    assert article in {"vocational-training-subsidy.conditions", "vocational-training-subsidy.faq.08"}

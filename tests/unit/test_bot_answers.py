"""小申 answers the question, not only the matter (issue 13): ranking, clarification, closing, scope."""

from __future__ import annotations

import pytest

from bot.actions.brain import Brain, Turn
from bot.actions.ranking import aspect_probs
from bot.offline import replies
from bot.scoring import Tally, report, score
from bridge.trainer import evaluation
from tests.unit.kb_fixtures import real_brain


@pytest.fixture(scope="module")
def brain() -> Brain:
    b = real_brain()
    b.help_status = None
    return b


def ask(brain: Brain, text: str, intent: str = "ask_matter", conf: float = 0.6, action: str = "action_answer",
        **slots):
    turn = Turn(intent=intent, confidence=conf, text=text, ranking=[(intent, conf)], slots=dict(slots))
    return brain.respond(action, turn)


def test_the_article_is_chosen_by_the_question_itself(brain):
    assert ask(brain, "社保卡寄出来好久了还没收到").message["meta"]["kb_article"] == "social-security-card.faq.10"
    assert ask(brain, "居住证掉了怎么办").message["meta"]["kb_article"] == "residence-permit.faq.07"
    # the aspect is a signal, not a filter: ask_conditions does not force the conditions article
    r = ask(brain, "生育津贴是发给单位的还是发给我的", intent="ask_conditions")
    assert r.message["meta"]["kb_article"] == "maternity-benefit.faq.09"


def test_aspect_probabilities_blend_the_nlu_with_cues():
    probs = aspect_probs("公积金几天能到账", [("ask_conditions", 0.5), ("ask_time_limit", 0.3)])
    assert probs["time_limit"] > probs["conditions"]
    assert aspect_probs("随便问问", []) == {"process": 0.4}


def test_a_specific_alias_beats_a_generic_matter_word(brain):
    r = ask(brain, "我退休了，想把住房公积金全部提出来")
    assert r.message["meta"]["matter"] == "housing-fund-withdrawal"
    follow = ask(brain, "钱多久能到账", intent="ask_time_limit", matter=r.slots["matter"])
    assert follow.message["meta"]["kb_article"] == "housing-fund-withdrawal.time_limit"


def test_unclear_matter_asks_back_with_candidate_buttons_then_answers_the_choice(brain):
    r = ask(brain, "证件丢了怎么办")
    m = r.message
    assert m["text"].startswith("您想问的是") and m["meta"]["kb_article"] is None
    choices = [b for b in m["buttons"] if b["payload"].startswith("/ask_matter")]
    assert 1 <= len(choices) <= 3 and m["buttons"][-1]["payload"] == "/request_human"
    turn = Turn(intent="ask_matter", text=choices[0]["payload"], slots=dict(r.slots),
                entities=[{"entity": "matter", "value": choices[0]["payload"].split('"')[3]}])
    chosen = brain.respond("action_answer", turn).message
    assert chosen["meta"]["kb_article"] and chosen["meta"]["matter"]


def test_thanks_after_an_answer_closes_the_loop_and_never_sends_an_article(brain):
    slots = {"matter": "social-security-card", "last_article": "social-security-card.fees", "awaiting_feedback": True,
             "last_scope": "in_scope"}
    r = ask(brain, "谢谢，解决了", intent="thanks", conf=0.9, action="action_smalltalk", **slots)
    assert r.message["outcome"] == "bot_resolved"
    idle = ask(brain, "谢谢你", intent="feedback_resolved", conf=0.9, action="action_feedback_resolved")
    assert "outcome" not in idle.message and idle.message["meta"]["kb_article"] is None
    lost = ask(brain, "推荐一家好吃的餐厅", intent="nlu_fallback", conf=0.3, action="action_fallback")
    assert lost.message["meta"]["kb_article"] is None and lost.message["outcome"] == "unanswered"


def test_a_sure_scope_model_needs_no_keyword(brain):
    r = ask(brain, "申请被驳回了我不认可", intent="complaint_or_legal", conf=0.8, action="action_complaint_channel")
    assert r.message["meta"]["scope"] == "complaint_or_legal" and "复议" in r.message["text"]
    h = ask(brain, "请找负责的同志跟我说", intent="request_human", conf=0.8, action="action_handoff")
    assert h.message["handoff"]["reason"] == "user_request"
    # a scope intent that names a matter without any cue is answered from the matter
    a = ask(brain, "生育津贴打给公司还是打给个人", intent="complaint_or_legal", conf=0.6,
            action="action_complaint_channel")
    assert a.message["meta"]["scope"] == "in_scope" and a.message["meta"]["matter"] == "maternity-benefit"


def test_scoring_and_the_go_live_article_accuracy(brain):
    qs = [{"text": "补办社保卡要不要钱", "matter": "social-security-card", "scope": "in_scope", "aspect": "fees",
           "articles": ["social-security-card.fees"]},
          {"text": "推荐个餐厅", "scope": "chitchat", "kind": "chitchat", "articles": []}]
    parses = [{"text": qs[0]["text"], "intent": {"name": "ask_fees", "confidence": 0.8},
               "intent_ranking": [{"name": "ask_fees", "confidence": 0.8}], "entities": []},
              {"text": qs[1]["text"], "intent": {"name": "chitchat", "confidence": 0.9}, "entities": []}]
    tally = Tally()
    assert all(score(q, m, tally) for q, m in zip(qs, replies(brain, parses), strict=True))
    assert tally.rate("article") == 1.0 and tally.rate("no_article") == 1.0
    assert any("article acceptable" in line for line in report(tally, "t"))
    acc, wrong = evaluation.article_accuracy(qs, parses, brain)
    assert acc == 1.0 and wrong == []


def test_an_unsure_turn_is_read_by_the_runner_up_when_the_text_backs_it(brain):
    def unsure(text: str, runner_up: str, **slots):
        turn = Turn(intent="nlu_fallback", confidence=0.3, text=text, slots=dict(slots),
                    ranking=[("nlu_fallback", 0.3), (runner_up, 0.25), ("ask_matter", 0.2)])
        return brain.respond("action_fallback", turn).message

    thanks = unsure("好嘞明白啦谢谢", "thanks")
    assert thanks["meta"]["scope"] == "chitchat" and thanks["meta"]["kb_article"] is None
    closed = unsure("好嘞明白啦谢谢", "thanks", last_article="social-security-card.fees", matter="social-security-card")
    assert closed["outcome"] == "bot_resolved"
    assert unsure("这个按钮点了没反应", "platform_tech")["meta"]["scope"] == "platform_tech"
    assert unsure("我对结果有异议", "complaint_or_legal")["meta"]["scope"] == "complaint_or_legal"


@pytest.mark.parametrize(
    ("text", "intent", "article", "figure"),
    [
        ("外地孩子在上海考普高 爸妈积分要多少分", "ask_conditions", "zhongkao-registration.faq.01", "120分"),
        ("我爸工伤去世了丧葬补助金有多少", "ask_matter", "after-death-one-thing.faq.01", "6个月"),
        ("外地人在外环外买房要交几年社保", "ask_conditions", "home-purchase-eligibility.faq.01", "满1年"),
        ("自助签注机在哪里", "ask_matter", "exit-entry-documents.faq.04", "民生路1500号"),
    ],
)
def test_the_short_answer_gives_the_figure_asked_for(brain, text, intent, article, figure):
    """Session 12 (s12-kb): the short answer, shown first, carries the figure or place a citizen asks for."""
    m = ask(brain, text, intent=intent).message
    assert m["meta"]["kb_article"] == article
    assert figure in brain.index.get(article).answer
    assert figure in m["text"]

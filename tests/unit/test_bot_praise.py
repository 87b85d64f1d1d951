"""Session 14: praise of the staff or the service is thanked and passed on, not read as a complaint or a call."""

from __future__ import annotations

import pytest

from bot.actions import texts
from bot.actions.brain import Turn
from bot.actions.cues import praises_staff
from tests.unit.kb_fixtures import open_brain


@pytest.fixture(scope="module")
def brain():
    return open_brain()


def respond(brain, action: str, text: str, ranking: list[tuple[str, float]], **slots) -> dict:
    turn = Turn(intent=ranking[0][0], confidence=ranking[0][1], text=text, ranking=ranking, slots=slots)
    return brain.respond(action, turn).message


@pytest.mark.parametrize(
    "text",
    ["社保中心那位大姐特别热情 帮我谢谢她", "给办证窗口的小伙子点个赞", "想表扬一下昨天帮我的工作人员",
     "窗口的老师非常耐心 讲得很清楚", "你们的服务真周到", "代我感谢一下那位帮我填表的阿姨"],
)
def test_praise_is_recognised(text):
    assert praises_staff(text)


@pytest.mark.parametrize(
    "text",
    ["窗口的人态度差 我要投诉", "工作人员很不耐心", "那个老师很热情 但是材料还是没收",
     "上次的老师很耐心 这回补办身份证要带啥", "服务好不好我不管 什么时候能办完", "谢谢"],
)
def test_not_praise(text):
    assert not praises_staff(text)


def test_praise_read_as_a_complaint_is_thanked_and_passed_on(brain):
    ranking = [("complaint_or_legal", 0.8), ("request_human", 0.17)]
    msg = respond(brain, "action_complaint_channel", "帮我办居住证的那位姑娘很细心 替我谢谢她", ranking)
    assert msg["text"] == texts.PRAISE
    assert msg["meta"]["scope"] == "chitchat" and not msg.get("handoff")


def test_praise_read_as_a_call_for_a_person_is_not_handed_off(brain):
    msg = respond(brain, "action_handoff", "大厅里引导的工作人员服务很到位 给她点赞", [("request_human", 0.7)])
    assert msg["text"] == texts.PRAISE and not msg.get("handoff")


def test_praise_before_a_question_about_a_matter_is_answered(brain):
    msg = respond(brain, "action_answer", "上回的老师特别耐心 这次居住证续签要带什么", [("ask_materials", 0.9)])
    assert msg["meta"]["matter"] == "residence-permit"


def test_praise_after_an_answer_closes_the_loop(brain):
    ranking = [("complaint_or_legal", 0.6)]
    msg = respond(brain, "action_complaint_channel", "你们服务真好 点赞", ranking,
                  awaiting_feedback=True, last_article="residence-permit.materials", matter="residence-permit")
    assert msg.get("outcome") == "bot_resolved"

"""Session 13: bare calls for a person, sending the bot away, call-back requests; and passing mentions of staff."""

from __future__ import annotations

import pytest

from bot.actions.brain import Turn
from bot.actions.cues import calls_for_a_person, person_cue, person_only_in_passing, wants_a_person
from tests.unit.kb_fixtures import open_brain


@pytest.fixture(scope="module")
def brain():
    return open_brain()


def respond(brain, action: str, text: str, ranking: list[tuple[str, float]]) -> dict:
    turn = Turn(intent=ranking[0][0], confidence=ranking[0][1], text=text, ranking=ranking)
    return brain.respond(action, turn).message


@pytest.mark.parametrize(
    "text",
    ["真人在不在", "人工客服呢", "客腹在吗", "线上客服在哪儿", "人工 人工", "喂喂 有人在吗", "RG", "帮我转",
     "机器人闭嘴吧", "不要自动回复 我要问问题", "麻烦打电话给我 谢谢", "请回电 号码是预留的"],
)
def test_calls_for_a_person(text):
    assert calls_for_a_person(text)


@pytest.mark.parametrize(
    "text",
    ["在吗", "你好", "人工审核一般几天", "材料交了会给我打电话吗", "审批完会回电通知吗", "家属能替我去吗",
     "转账要多久到", "机器人也能办事吗", "客服电话是多少 异地就医备案的", "签注的自助机器坏了 别的机器也不行"],
)
def test_not_calls_for_a_person(text):
    assert not calls_for_a_person(text)


def test_passing_mentions_of_staff_are_not_person_cues():
    assert person_only_in_passing("人工智能会不会以后全替代窗口")
    assert person_only_in_passing("比人工客服答得快多了 谢谢")
    assert not person_only_in_passing("比人工好 不过我还是要找人工")
    assert not person_cue("人工智能挺好的") and person_cue("人工智能不行 找人工")


@pytest.mark.parametrize(
    ("action", "text", "ranking"),
    [  # read by the NLU as small talk, feedback or a fault
        ("action_smalltalk", "真人在不在", [("greet", 0.93), ("request_human", 0.04)]),
        ("action_smalltalk", "客腹在吗", [("greet", 0.71), ("chitchat", 0.2)]),
        ("action_fallback", "线上客服在哪儿", [("nlu_fallback", 0.3), ("chitchat", 0.29)]),
        ("action_smalltalk", "机器人闭嘴吧", [("thanks", 0.35), ("deny", 0.3)]),
        ("action_platform_tech", "请回电 号码是预留的", [("platform_tech", 0.42), ("request_human", 0.3)]),
        ("action_complaint_channel", "麻烦打电话给我 打字太累了", [("complaint_or_legal", 0.6), ("chitchat", 0.2)]),
    ],
)
def test_a_bare_call_or_call_back_is_handed_off_whatever_the_nlu_read(brain, action, text, ranking):
    m = respond(brain, action, text, ranking)
    assert "handoff" in m and m["meta"]["kb_article"] is None


@pytest.mark.parametrize(
    ("text", "ranking"),
    [
        ("人工智能会不会以后全替代窗口", [("request_human", 0.95), ("chitchat", 0.03)]),
        ("比人工客服答得快多了 谢谢", [("request_human", 0.7), ("chitchat", 0.2), ("thanks", 0.08)]),
    ],
)
def test_a_passing_mention_of_staff_is_not_a_request(brain, text, ranking):
    m = respond(brain, "action_handoff", text, ranking)
    assert "handoff" not in m and m["meta"]["kb_article"] is None


def test_a_complaint_about_the_hotline_staff_gets_the_channels_not_the_12315_matter(brain):
    m = respond(brain, "action_complaint_channel", "12345接线的客服态度很差 电话直接挂了 我要投诉",
                [("complaint_or_legal", 0.99), ("request_human", 0.005)])
    assert m["meta"]["scope"] == "complaint_or_legal" and m["meta"]["matter"] != "consumer-complaint"


@pytest.mark.parametrize("text", ["服务中心的人互相推 来回跑了三次还是没办好 我要投诉",
                                  "街道受理的人一直拖着不给办 我要去投诉她"])
def test_a_complaint_about_an_office_gets_the_channels_not_the_12315_matter(brain, text):
    # session 14: an office named by its hall or street office (大厅, 街道, 服务中心) is the administration too
    m = respond(brain, "action_complaint_channel", text, [("complaint_or_legal", 0.99), ("request_human", 0.005)])
    assert m["meta"]["scope"] == "complaint_or_legal" and not m["meta"]["kb_article"]


def test_a_placed_question_read_unsure_as_thanks_is_answered_not_thanked(brain):
    # session 13: nlu_fallback with thanks or small talk first and an ask intent further down
    m = respond(brain, "action_fallback", "家里那辆车开了快六年 今年年检去哪里约",
                [("nlu_fallback", 0.3), ("feedback_resolved", 0.27), ("ask_process", 0.22), ("ask_matter", 0.17)])
    assert m["meta"]["matter"] == "vehicle-inspection" and m["meta"]["kb_article"]


def test_every_person_cue_skips_passing_mentions(brain):
    # the cue for a person is one check (`person_cue`) wherever a reading is second-guessed: feedback that compares
    # the bot with staff is not a request for a person
    m = respond(brain, "action_feedback_unresolved", "这次比人工客服回得还快",
                [("feedback_unresolved", 0.6), ("thanks", 0.3)])
    assert "handoff" not in m


@pytest.mark.parametrize("text", ["跑了三趟都没弄好 麻烦你帮我转个人工", "能不能找一下人工 我说不清楚"])
def test_put_through_with_a_measure_word_is_a_request(text):
    # session 14: 转个人工, 找一下人工 ask for a person as 转人工 does
    assert wants_a_person(text)

"""Pure pieces of conversation review: turns and outcomes, reviewed examples, lookup edits, test stories."""

from __future__ import annotations

import yaml

from bridge.trainer import review_turns as rt
from bridge.trainer.kb_edit import KbEditor, today
from core.catalogue import get_catalogue

META = {"intent": "ask_fees", "confidence": 0.42, "matter": "retirement", "kb_article": "retirement.fees",
        "scope": "in_scope"}


def messages() -> list[dict]:
    return [
        {"_id": "u1", "seq": 1, "sender": {"role": "user"}, "type": "text", "text": "退休要交钱吗 13912345678"},
        {"_id": "b1", "seq": 2, "sender": {"role": "bot"}, "text": "不收费。", "reply_to": "u1", "meta": META},
        {"_id": "b2", "seq": 3, "sender": {"role": "bot"}, "text": "还有问题吗", "reply_to": "u1",
         "meta": {**META, "kb_article": None}},
        {"_id": "u2", "seq": 4, "sender": {"role": "user"}, "type": "text", "text": "谢谢"},
        {"_id": "a1", "seq": 5, "sender": {"role": "agent"}, "text": "您好", "reply_to": "u2"},
    ]


def test_turns_carry_the_bots_reading_and_answers_masked() -> None:
    turns = rt.turns(messages())
    assert [t["seq"] for t in turns] == [1, 4]
    assert turns[0]["text"] == "退休要交钱吗 139****5678"
    assert turns[0]["understood"] == META and turns[0]["answers"] == ["不收费。", "还有问题吗"]
    assert turns[1]["answers"] == [] and turns[1]["understood"]["intent"] is None


def test_outcomes() -> None:
    turns = rt.turns(messages())
    assert rt.outcomes({}, turns, None, False) == ["low_confidence"]
    conv = {"bot_resolved": True, "handed_off": True}
    assert rt.outcomes(conv, turns, {"score": 1, "resolved": False}, True) == [
        "resolved", "handed_off", "unanswered", "low_confidence", "bad_rating"]
    sure = [{**t, "understood": {**t["understood"], "confidence": 0.9}} for t in turns]
    assert rt.outcomes({}, sure, {"score": 5, "resolved": True}, False) == ["resolved"]


def test_reviewed_example_and_lookup() -> None:
    assert rt.annotated("退休金怎么领", "退休金", "retirement") == \
        '[退休金]{"entity": "matter", "value": "retirement"}怎么领'
    assert rt.annotated("退休金怎么领", "没有", "retirement") == "退休金怎么领"
    text = 'version: "3.1"\nnlu:\n- intent: ask_matter\n  examples: |\n    - 你好\n'
    once = rt.with_lookup(text, "退休金")
    assert once.endswith("- lookup: matter\n  examples: |\n    - 退休金\n")
    twice = rt.with_lookup(once, "老年金")
    assert "- lookup: matter\n  examples: |\n    - 老年金\n    - 退休金\n" in twice
    assert rt.with_lookup(twice, "退休金") == twice
    assert yaml.safe_load(twice)["nlu"][1] == {"lookup": "matter", "examples": "- 老年金\n- 退休金\n"}


def test_test_stories_file() -> None:
    story = rt.test_story(rt.story_name("abcdef123456", [1]), [("退休要交钱吗", "ask_fees", "action_answer")])
    text = rt.with_test_story("", story)
    doc = yaml.safe_load(text)
    assert doc == {"version": "3.1", "stories": [{"story": "对话回顾 abcdef12 第1条", "steps": [
        {"user": "退休要交钱吗", "intent": "ask_fees"}, {"action": "action_answer"}]}]}
    again = yaml.safe_load(rt.with_test_story(text, {**story, "steps": []}))
    assert len(again["stories"]) == 1 and again["stories"][0]["steps"] == []
    rules = "rules:\n- rule: r\n  steps:\n  - intent: ask_fees\n  - action: action_answer\n"
    assert rt.intent_actions(rules) == {"ask_fees": "action_answer"}


def test_an_article_saved_in_the_console_is_verified_that_day() -> None:
    art = KbEditor(None, get_catalogue())._article(
        {"id": "retirement.fees", "matter": "retirement", "aspect": "fees", "title": "费用", "answer": "不收费。"}, 2)
    assert art.verified_date == today().isoformat()

"""Whole conversations with 小申's brain (session 12): what a turn means given the turns before it."""

from __future__ import annotations

import json

import pytest

from bot.actions.brain import Brain, Turn
from tests.unit.kb_fixtures import open_brain, say


@pytest.fixture(scope="module")
def brain() -> Brain:
    return open_brain()


@pytest.mark.parametrize(("matter", "text"), [
    ("food-business-permit", "大概多少个工作日"),  # 大概: a word one article of another matter mentions in passing
    ("marriage-registration", "嘿嘿 我下个月就要结婚啦"),
])
def test_a_follow_up_with_no_word_of_another_matters_own_stays_on_the_matter(brain, matter, text):
    r = say(brain, "action_answer", "ask_time_limit", text, matter=matter)
    assert r.message["meta"]["matter"] == matter


@pytest.mark.parametrize("text", ["我要举报这个人", "怎么举报他们"])
def test_a_bare_complaint_in_a_conversation_about_another_matter_gets_the_channels_not_12315(brain, text):
    r = say(brain, "action_complaint_channel", "complaint_or_legal", text, conf=0.8, matter="elderly-allowance")
    assert r.message["meta"]["scope"] == "complaint_or_legal" and r.message["meta"]["kb_article"] is None
    first = say(brain, "action_complaint_channel", "complaint_or_legal", text, conf=0.8)
    assert first.message["meta"]["matter"] == "consumer-complaint"  # with no matter before, it may be a shop


@pytest.mark.parametrize("text", ["户口方面的事情", "想问下公积金"])
def test_a_bare_topic_shared_by_several_matters_is_asked_back_with_matter_buttons(brain, text):
    r = say(brain, "action_answer", "ask_matter", text)
    payloads = [b["payload"] for b in r.message.get("buttons", [])]
    assert r.message["meta"]["kb_article"] is None
    assert len([p for p in payloads if p.startswith('/ask_matter{"matter"')]) >= 2 and "/request_human" in payloads
    chosen = json.loads(payloads[1].removeprefix("/ask_matter"))["matter"]  # the citizen clicks the second one
    click = Turn(intent="ask_matter", text=payloads[1], entities=[{"entity": "matter", "value": chosen}],
                 slots=dict(r.slots))
    clicked = brain.respond("action_answer", click)
    assert clicked.message["meta"]["matter"] == chosen and clicked.message["meta"]["kb_article"]


def test_an_unsure_greeting_that_asks_an_aspect_is_a_follow_up_on_the_matter(brain):
    r = say(brain, "action_smalltalk", "greet", "那在哪里办呀", conf=0.45, matter="dog-registration")
    assert r.message["meta"]["matter"] == "dog-registration" and r.message["meta"]["kb_article"]
    hello = say(brain, "action_smalltalk", "greet", "你好呀", conf=0.45, matter="dog-registration")
    assert hello.message["meta"]["kb_article"] is None


def test_an_unsure_bare_topic_word_is_asked_back_too(brain):
    r = say(brain, "action_fallback", "nlu_fallback", "社保吧", conf=0.3)
    assert r.message["meta"]["kb_article"] is None
    assert sum(b["payload"].startswith('/ask_matter{"matter"') for b in r.message["buttons"]) >= 2

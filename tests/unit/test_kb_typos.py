"""Typos of matter words read as the words (kb/typos.py): homophones and traditional characters, and 小申
answering them."""

from __future__ import annotations

import pytest

from bot.actions.brain import Brain
from kb.typos import TRADITIONAL, TypoReader, readings, syllables
from tests.unit.kb_fixtures import open_brain, say


@pytest.fixture(scope="module")
def brain() -> Brain:
    return open_brain()


@pytest.fixture(scope="module")
def reader(brain) -> TypoReader:
    return brain.typos


def test_readings_of_a_typed_character_include_every_reading_and_terms_their_usual_one_first():
    assert {"huan", "hai"} <= readings("还")
    assert readings("a") == frozenset()
    assert syllables("居住证")[0] == ("ju", "zhu", "zheng")


@pytest.mark.parametrize(("typed", "read"), [
    ("我的身分证过期了怎么补", "我的身份证过期了怎么补"),
    ("公基金能贷多少", "公积金能贷多少"),
    ("营业只照丢了 补一个要几天", "营业执照丢了 补一个要几天"),
    ("结昏证办好以后能改名字吗", "结婚证办好以后能改名字吗"),
    ("社宝卡挂失以后多久补好", "社保卡挂失以后多久补好"),
])
def test_a_homophone_of_a_matter_term_is_read_as_the_term(reader, typed, read):
    assert reader.rewrite(typed) == read


def test_two_differing_characters_in_a_long_term(reader):
    assert reader.rewrite("请问公基金带款利率多少") == "请问公积金贷款利率多少"


def test_a_two_character_term_is_read_only_when_it_is_the_whole_text(reader):
    assert reader.rewrite("社宝") == "社保"
    assert reader.rewrite("驾找？") == "驾照？"
    assert reader.rewrite("我的社宝在哪查") == "我的社宝在哪查"  # inside a text: not read (落沪 would be 落户)


@pytest.mark.parametrize("typed", [
    "安徽老家的医保能转过来吗",
    "去公积金中心要带什么",
    "社保卡上还是原来的照片",
    "就打我注册的手机",
    "开大货车要考什么证",
    "个人缴社保能补吗",
    "我又没有公司怎么开票",
    "看病的保险怎么交",
    "今天天气不错 谢谢你",
    "好的 我知道了",
    "还是不行 转人工吧",
])
def test_correct_texts_stay_as_typed(reader, typed):
    assert reader.rewrite(typed) == typed


def test_traditional_characters_are_simplified_in_the_whole_text(reader):
    assert reader.rewrite("護照過期了怎麼辦") == "护照过期了怎么办"
    assert reader.rewrite("個人所得稅匯算") == "个人所得税汇算"
    assert "著".translate(TRADITIONAL) == "著"  # a simplified character in its own right stays


def test_an_empty_vocabulary_reads_traditional_characters_only():
    r = TypoReader([])
    assert r.rewrite("契稅") == "契税"
    assert r.rewrite("结昏证") == "结昏证"


@pytest.mark.parametrize(("intent", "text", "matter"), [
    ("ask_materials", "结昏证办理要带哪些材料", "marriage-registration"),
    ("ask_fees", "契稅税率是多少", "deed-tax"),
    ("ask_process", "公基金带款怎么申请", "housing-fund-loan"),
])
def test_a_matter_question_with_a_typo_is_answered_from_its_matter(brain, intent, text, matter):
    m = say(brain, "action_answer", intent, text).message
    assert m["meta"]["matter"] == matter and m["meta"]["kb_article"].startswith(matter + ".")


def test_the_handoff_summary_keeps_the_typo_as_typed(brain):
    r = say(brain, "action_handoff", "request_human", "结昏证的事找人工")
    assert r.message["handoff"]["summary"]["question"] == "结昏证的事找人工"
    assert r.message["handoff"]["summary"]["matter"] == "marriage-registration"

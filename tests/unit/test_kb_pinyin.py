"""Matter words typed in pinyin or English read as hanzi (kb/pinyin.py), and 小申 answering them."""

from __future__ import annotations

import pytest

from bot.actions.brain import Brain
from kb.pinyin import LatinReader, spell
from tests.unit.kb_fixtures import open_brain, say


@pytest.fixture(scope="module")
def brain() -> Brain:
    return open_brain()


@pytest.fixture(scope="module")
def reader(brain) -> LatinReader:
    return brain.latin


def test_spell_gives_the_usual_reading_first_then_the_other_readings_and_u_for_v():
    assert spell("居住证")[0] == "juzhuzheng"
    assert spell("银行卡")[0] == "yinhangka"
    assert "changningqu" in spell("长宁区")  # a polyphone pypinyin reads zhang
    assert {"lvshi", "lushi"} <= set(spell("律师"))


@pytest.mark.parametrize(("typed", "read"), [
    ("jiashizheng", "驾驶证"),
    ("hukouqianyi", "户口迁移"),
    ("shebaoka", "社保卡"),
])
def test_a_whole_run_of_pinyin_is_read_as_the_terms(reader, typed, read):
    assert reader.rewrite(typed) == read


def test_a_run_inside_hanzi_is_read_and_the_hanzi_are_kept(reader):
    assert reader.rewrite("我的gongjijin怎么提") == "我的公积金怎么提"
    assert reader.rewrite("买房子的qishui按多少交") == "买房子的契税按多少交"


def test_spaces_between_syllables_and_terms_are_optional(reader):
    assert reader.rewrite("ju zhu zheng 过期了") == "居住证 过期了"
    assert reader.rewrite("hukou qianyi要几天") == "户口迁移要几天"
    assert reader.rewrite("hukouqianyi要几天") == "户口迁移要几天"


def test_case_and_full_width_letters_do_not_matter(reader):
    assert reader.rewrite("Ju Zhu Zheng") == "居住证"
    assert reader.rewrite("QISHUI怎么交") == "契税怎么交"
    assert reader.rewrite("ｑｉｓｈｕｉ怎么交") == "契税怎么交"


@pytest.mark.parametrize("typed", [
    "app上打不开", "下载的pdf打不开", "ok", "wifi连不上", "随申办app闪退", "taxi", "the women", "china",
    "hello", "change",
])
def test_ordinary_english_and_runs_that_do_not_segment_stay(reader, typed):
    assert reader.rewrite(typed) == typed


def test_in_a_run_of_words_only_the_words_that_segment_are_read(reader):
    assert reader.rewrite("用app办diya") == "用app办抵押"
    assert reader.rewrite("app diya zhuxiao") == "app 抵押注销"
    assert reader.rewrite("I want a visa") == "I want a 签证"


def test_the_short_tables_of_abbreviations_and_english_terms(reader):
    assert reader.rewrite("gjj能取吗") == "公积金能取吗"
    assert reader.rewrite("sfz过期了") == "身份证过期了"
    assert reader.rewrite("driver's license 换证") == "驾驶证 换证"
    assert reader.rewrite("Social Security Card 补办") == "社保卡 补办"
    assert reader.rewrite("yb") == "yb"  # too ambiguous to be in the list


def test_spoken_words_that_are_no_matter_word_of_their_own(reader):
    # session 14: the driving test's subjects, 无犯罪, and the rcyj of 人才引进
    assert reader.rewrite("kemuer 挂了两次 还能约吗") == "科目二 挂了两次 还能约吗"
    assert reader.rewrite("wufanzui要本人去开吗") == "无犯罪要本人去开吗"
    assert reader.rewrite("rcyj要几年社保") == "人才引进要几年社保"


def test_an_empty_vocabulary_still_reads_the_tables_and_leaves_the_rest():
    r = LatinReader([])
    assert r.rewrite("passport 丢了") == "护照 丢了"
    assert r.rewrite("juzhuzheng") == "juzhuzheng"


@pytest.mark.parametrize(("intent", "text", "matter"), [
    ("ask_fees", "qishui 税率多少", "deed-tax"),
    ("ask_process", "gjj tiqu 怎么操作", "housing-fund-withdrawal"),
    ("ask_process", "sfz过期了去哪换", "id-card-renewal"),
    ("ask_process", "waiguoren gongzuo xuke 怎么申请", "foreign-work-permit"),
    ("ask_materials", "social security card 丢了补办要什么", "social-security-card"),
])
def test_a_matter_typed_in_pinyin_or_english_is_answered_from_that_matter(brain, intent, text, matter):
    m = say(brain, "action_answer", intent, text).message
    assert m["meta"]["matter"] == matter and m["meta"]["kb_article"].startswith(matter + ".")


def test_the_handoff_summary_keeps_what_the_citizen_typed(brain):
    r = say(brain, "action_handoff", "request_human", "jiashizheng 换证找人工")
    assert r.message["handoff"]["summary"]["question"] == "jiashizheng 换证找人工"
    assert r.message["handoff"]["summary"]["matter"] == "drivers-license"

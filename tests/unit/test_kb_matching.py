"""Matter detection from aliases and catalogue names."""

from __future__ import annotations

from kb.matching import MatterMatcher, name_variants
from kb.tokenize import parts, tokenize


def test_longest_alias_wins_and_ties_are_left_open():
    m = MatterMatcher(
        [
            ("fund-w", "提公积金"),
            ("fund-loan", "公积金贷款"),
            ("fund-w", "公积金"),
            ("fund-loan", "公积金"),
            ("points", "积分"),
        ]
    )
    assert m.match("我想用公积金贷款买房").best == "fund-loan"
    assert m.match("我要提公积金").best == "fund-w"
    tie = m.match("公积金的问题")
    assert tie.best is None and {c for c, _ in tie.candidates} == {"fund-w", "fund-loan"}
    assert m.match("今天天气不错").candidates == []


def test_full_width_text_is_normalised():
    m = MatterMatcher([("tax", "ABC汇算")])
    assert m.match("ａｂｃ汇算怎么弄").best == "tax"


def test_name_variants():
    v = name_variants("上海市居住证办理（申领、签注）")
    assert "居住证办理" in v and "上海市居住证办理" in v
    assert "公积金" not in name_variants("企业开办“一件事”（执照、印章、发票、社保、公积金）")
    assert "出生医学证明" in name_variants("出生“一件事”（出生医学证明、户口登记、医保参保）")


def test_real_catalogue_detection():
    from tests.unit.kb_fixtures import real_brain

    matcher = real_brain().matcher
    cases = {
        "社保卡丢了怎么补": "social-security-card",
        "我想提取公积金": "housing-fund-withdrawal",
        "驾照到期换证": "drivers-license",
        "个税汇算怎么退税": "income-tax-settlement",
        "营业执照怎么办": "company-registration",
    }
    for text, matter in cases.items():
        assert matcher.match(text).best == matter, text


def test_tokenizer_keeps_domain_words():
    tokens = tokenize("居住证积分落户和个税汇算，还有社保卡")
    for word in ("居住证积分", "落户", "汇算", "社保卡"):
        assert word in tokens
    assert "和" not in tokens and "，" not in tokens


def test_a_long_alias_counts_when_its_words_occur_apart():
    from tests.unit.kb_fixtures import real_brain

    matcher = real_brain().matcher
    found = dict(matcher.match("退休了想把公积金取出来").candidates)
    assert found["housing-fund-withdrawal"] > found["retirement"]  # 退休提取公积金 beats the generic 退休
    assert matcher.match("办退休要什么材料").best == "retirement"
    assert "怎么" not in parts("退休金怎么领") and "退休金" in parts("退休金怎么领")

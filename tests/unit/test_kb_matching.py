"""Matter detection from aliases and catalogue names."""

from __future__ import annotations

from kb.matching import MatterMatcher, listed_parts, name_entries, name_variants
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


# Names of the 100-matter catalogue (wave 2) whose "一件事" lists other matters' services
WAVE2_NAMES = {
    "company-registration": "企业设立登记（营业执照）",
    "food-business-permit": "食品经营许可",
    "birth-one-thing": "出生“一件事”（出生医学证明、户口登记、医保参保）",
    "transport-company-one-thing": "开办运输企业“一件事”（营业执照、道路运输经营许可、车辆营运证）",
    "restaurant-startup-one-thing": "开办餐饮店“一件事”（执照、食品经营许可、店招等一次联办）",
    "veteran-service-one-thing": "退役军人服务“一件事”（退役报到、户口登记、社保接续）",
}


def test_a_one_thing_name_does_not_claim_the_phrases_of_other_matters():
    m = MatterMatcher.from_sources(WAVE2_NAMES, {"company-registration": ["办执照"]})
    assert m.match("营业执照要多久").best == "company-registration"
    assert m.match("食品经营许可怎么续").best == "food-business-permit"
    assert m.match("户口登记").candidates == []  # listed by two one-things: names neither
    assert m.match("道路运输经营许可怎么申请").best == "transport-company-one-thing"  # its own
    assert m.match("退役报到去哪").best == "veteran-service-one-thing"
    assert "营业执照" in name_variants(WAVE2_NAMES["transport-company-one-thing"])  # the name's forms are unchanged


def test_the_catalogue_one_things_list_no_phrase_of_another_matter():
    from bot.nlu_build import phrase_owners
    from core.catalogue import get_catalogue

    owners = phrase_owners()
    for matter in get_catalogue().matters.values():
        for part in listed_parts(matter.name):
            # a listed service names the one-thing alone, or only the matter it belongs to: never both
            assert len(owners.get(part, ())) <= 1, (matter.id, part, owners.get(part))
    entries = name_entries(WAVE2_NAMES, {})
    assert ("birth-one-thing", "出生医学证明") in entries and ("birth-one-thing", "户口登记") not in entries

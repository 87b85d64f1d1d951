"""KB files: format validation, and every catalogue matter covered (trainer discipline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.catalogue import get_catalogue
from kb.loader import (
    MATTER_ASPECTS,
    MIN_FAQ,
    PARAPHRASES,
    Article,
    KBFormatError,
    ServiceEntry,
    load_kb,
    load_valid_kb,
)


def test_repository_kb_has_no_errors():
    kb = load_kb(catalogue=get_catalogue().matters)
    assert kb.errors == []


def test_every_catalogue_matter_has_all_aspects_and_faqs():
    kb = load_kb(catalogue=get_catalogue().matters)
    by_matter = kb.by_matter()
    missing = []
    for matter in get_catalogue().matters:
        mf = by_matter.get(matter)
        if mf is None:
            missing.append(f"{matter}: no KB file")
            continue
        aspects = {a.aspect for a in mf.articles}
        missing += [f"{matter}: no {a} article" for a in MATTER_ASPECTS if a not in aspects]
        faqs = sum(a.aspect == "faq" for a in mf.articles)
        if faqs < MIN_FAQ:
            missing.append(f"{matter}: {faqs} faq articles")
        if len(mf.aliases) < 5:
            missing.append(f"{matter}: {len(mf.aliases)} aliases")
    assert missing == []


def test_platform_tech_articles_exist():
    kb = load_kb()
    platform = kb.by_matter().get(None)
    assert platform is not None and len(platform.articles) >= 5
    assert all(a.aspect == "tech" and a.department == "bigdata-center" for a in platform.articles)


def test_articles_carry_source_dates_and_version():
    """A real effective date or none (issue 16): never the old placeholder; always a verified date."""
    for art in load_kb().articles:
        assert art.source and art.verified_date and art.version >= 1, art.id
        assert art.effective_date != "2024-01-01", f"{art.id}: placeholder effective_date"


def _write(tmp: Path, name: str, body: str) -> None:
    (tmp / name).write_text(body, encoding="utf-8")


def test_format_errors_are_reported(tmp_path: Path):
    _write(
        tmp_path,
        "residence-permit.yml",
        """
matter: residence-permit
department: public-security
name: 居住证
aliases: [居住证]
articles:
  - {id: residence-permit.conditions, aspect: conditions, title: t, answer: a,
     source: s, effective_date: 2024-01-01, verified_date: 2026-11-26}
  - {id: residence-permit.conditions, aspect: conditions, title: t, answer: a, verified_date: 2026-11-26}
  - {id: residence-permit.x, aspect: nonsense, title: t, answer: a}
  - {id: residence-permit.faq.01, aspect: faq, title: t, answer: a}
  - {id: other.materials, aspect: materials, title: t, answer: a}
""",
    )
    _write(tmp_path, "broken.yml", "articles: [")
    kb = load_kb(tmp_path)
    text = "\n".join(kb.errors)
    assert "duplicate article id" in text
    assert "bad aspect 'nonsense'" in text
    assert "faq article without question" in text
    assert "does not start with the matter id" in text
    assert "not valid YAML" in text
    assert any("aliases" in w for w in kb.warnings)
    with pytest.raises(KBFormatError):
        load_valid_kb(tmp_path)


def test_dates_become_iso_strings(tmp_path: Path):
    _write(
        tmp_path,
        "platform-tech.yml",
        """
matter: null
department: bigdata-center
name: 平台技术问题
articles:
  - {id: platform-tech.login, aspect: tech, title: 登录失败, answer: 清缓存再试,
     source: s, effective_date: 2024-05-01, verified_date: 2026-11-20}
""",
    )
    (art,) = load_valid_kb(tmp_path).articles
    assert art.matter is None and art.effective_date == "2024-05-01"
    assert art.to_doc()["steps"] == []
    assert art.verified_date == "2026-11-20" and art.to_doc()["paraphrases"] == []


_ONE = """
matter: null
department: bigdata-center
name: 平台技术问题
articles:
  - id: platform-tech.login
    aspect: tech
    title: 登录失败
    question: 登录不了怎么办？
    answer: 清缓存再试
    source: s
    effective_date: 2024-05-01
"""


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("", "missing verified_date"),
        ("    verified_date: TBD\n", "verified_date 'TBD' is not a real date"),
        ("    verified_date: 2026-02-30\n", "is not a real date"),
        ("    verified_date: 2999-01-01\n", "verified_date 2999-01-01 is in the future"),
        ("    verified_date: 2026-11-01\n    service_entry: 随申办\n", "service_entry must be a mapping"),
        ("    verified_date: 2026-11-01\n    service_entry: {name: 登录}\n", "with `name` and `path`"),
        ("    verified_date: 2026-11-01\n    paraphrases: 登不上\n", "paraphrases is not a list"),
    ],
)
def test_added_fields_are_validated(tmp_path: Path, extra: str, problem: str):
    _write(tmp_path, "platform-tech.yml", _ONE + extra)
    kb = load_kb(tmp_path)
    assert any(problem in e for e in kb.errors), kb.errors
    with pytest.raises(KBFormatError, match="platform-tech.login"):
        load_valid_kb(tmp_path)


def test_service_entry_and_paraphrases_are_read(tmp_path: Path):
    extra = """    verified_date: 2026-11-26
    service_entry: {name: 随申办账号登录, path: 随申办APP → 我的 → 登录}
    paraphrases: [登不上去, 账号登录失败, 随申办进不去, 登不上去]
"""
    _write(tmp_path, "platform-tech.yml", _ONE + extra)
    kb = load_kb(tmp_path)
    (art,) = kb.articles
    assert art.service_entry == ServiceEntry("随申办账号登录", "随申办APP → 我的 → 登录")
    assert art.paraphrases == ("登不上去", "账号登录失败", "随申办进不去", "登不上去")
    assert any("repeat" in w for w in kb.warnings)
    doc = art.to_doc()
    assert doc["service_entry"] == {"name": "随申办账号登录", "path": "随申办APP → 我的 → 登录"}
    assert Article.from_doc({**doc, "_id": art.id}) == art



def test_every_article_is_verified_and_paraphrased():
    low, high = PARAPHRASES
    for art in load_kb().articles:
        assert art.verified_date, art.id
        assert low <= len(art.paraphrases) <= high, art.id
        assert len(set(art.paraphrases)) == len(art.paraphrases), art.id

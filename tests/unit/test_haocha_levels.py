"""好差评 levels, the report of a rating, and the rectification deadline in working days."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.domain.haocha_levels import BAD, LEVELS, level_name, report_body, tags_of
from bridge.domain.rectification import deadline_of, is_overdue


def test_the_five_national_levels_map_one_to_one_by_score():
    assert [level_name(s) for s in (5, 4, 3, 2, 1)] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert "一般" not in LEVELS.values() and BAD == (1, 2)
    with pytest.raises(KeyError):
        level_name(6)


def test_the_report_carries_the_national_fields_with_the_text_masked():
    t = dt.datetime(2026, 11, 26, 2, tzinfo=dt.UTC)
    rating = {"conversation_id": "c1", "target": "agent", "score": 3, "resolved": True, "channel": "wechat",
              "matter": "m", "department": "d", "comment": "电话13812345678", "ts": t}
    body = report_body("HC1", rating, "3100000000000-01", "WO1")
    assert body == {"report_id": "HC1", "channel": "wechat", "matter_code": "3100000000000-01", "matter": "m",
                    "conversation_id": "c1", "work_id": "WO1", "target": "agent", "level": 3,
                    "level_name": "基本满意", "tags": ["人工帮办", "问题已解决"], "text": "电话138****5678",
                    "rated_at": body["rated_at"], "department": "d"}
    assert body["rated_at"].startswith("2026-11-26T02:00")
    assert tags_of({"target": "bot", "resolved": None}) == ["智能客服"]


def test_the_deadline_is_15_working_days_over_the_national_day_holiday():
    # 2025: Oct 1-8 off, Sep 28 (Sunday) and Oct 11 (Saturday) are make-up working days
    assert deadline_of(dt.date(2025, 9, 26)) == dt.date(2025, 10, 23)
    assert deadline_of(dt.date(2026, 11, 26)) == dt.date(2026, 12, 17)  # three plain weeks


def test_an_item_is_overdue_after_its_deadline_unless_closed():
    item = {"status": "claimed", "deadline": "2026-12-17"}
    assert not is_overdue(item, dt.date(2026, 12, 17)) and is_overdue(item, dt.date(2026, 12, 18))
    assert not is_overdue({**item, "status": "closed"}, dt.date(2027, 1, 1))


def test_a_configured_haocha_intake_needs_a_strong_secret_away_from_local_development(monkeypatch, tmp_path):
    from core.settings import load_settings
    from core.settings_checks import unsafe_settings

    env = {**dict.fromkeys(("BANGBAN_TOKEN_SECRET", "HOTLINE_SECRET", "RASA_TOKEN"), "x" * 40),
           "BANGBAN_VAR": str(tmp_path), "BANGBAN_HOST": "0.0.0.0",  # away from local development
           "HAOCHA_URL": "https://haocha.example.gov.cn/ratings", "HAOCHA_SECRET": "short"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert any(p.startswith("HAOCHA_SECRET: must be at least 32 bytes") for p in unsafe_settings(load_settings()))
    monkeypatch.setenv("HAOCHA_URL", "")
    assert not any(p.startswith("HAOCHA_SECRET") for p in unsafe_settings(load_settings()))  # not configured


def test_the_knowledge_endpoint_sits_next_to_the_work_order_intake(monkeypatch, tmp_path):
    from core.settings import load_settings

    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_URL", "https://12345.example.gov.cn/api/workorders")
    monkeypatch.delenv("HOTLINE_KB_URL", raising=False)
    assert load_settings().knowledge_url == "https://12345.example.gov.cn/api/knowledge"
    monkeypatch.setenv("HOTLINE_KB_URL", "https://kb.example.gov.cn/v1")
    assert load_settings().knowledge_url == "https://kb.example.gov.cn/v1"

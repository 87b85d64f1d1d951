"""The 12345 knowledge exchange's shapes and conflict rule (version first, then effective date)."""

from __future__ import annotations

import datetime as dt

from bridge.domain.kb_exchange_wire import answer_outcome, article_export, batch_wire

OURS = {"_id": "m.faq.01", "version": 3, "effective_date": "2026-06-01"}


def test_a_new_question_becomes_a_draft():
    assert answer_outcome({"question": "q", "answer": "a"}, None) == ("drafted", "new")


def test_an_answer_based_on_an_older_version_is_stale():
    outcome, why = answer_outcome({"base_version": 2, "effective_date": "2026-11-01"}, OURS)
    assert outcome == "stale" and "version 2" in why


def test_an_answer_effective_before_our_version_is_stale():
    outcome, why = answer_outcome({"base_version": 3, "effective_date": "2026-05-31"}, OURS)
    assert outcome == "stale" and "2026-05-31" in why


def test_an_answer_on_our_version_effective_later_or_undated_is_drafted():
    assert answer_outcome({"base_version": 3, "effective_date": "2026-06-01"}, OURS) == ("drafted", "newer")
    assert answer_outcome({"base_version": 4}, OURS) == ("drafted", "newer")


def test_an_exported_version_names_the_article_and_its_dates():
    t = dt.datetime(2026, 11, 26, 8, tzinfo=dt.UTC)
    doc = {"_id": "m.faq.01@4", "article_id": "m.faq.01", "version": 4, "matter": "m", "aspect": "faq",
           "answer": "a", "steps": ("s",), "effective_date": "2026-12-01", "policy_effective_date": "2026-12-01",
           "published_at": t, "by": {"id": "x"}}
    out = article_export(doc, "scheduled")
    assert out["id"] == "m.faq.01" and out["version"] == 4 and out["status"] == "scheduled"
    assert out["steps"] == ["s"] and out["policy_effective_date"] == "2026-12-01" and "by" not in out
    assert out["updated_at"].startswith("2026-11-26T08:00")


def test_a_batch_on_the_wire_leaves_its_articles_out():
    b = {"_id": "KX-initial", "state": "delivered", "count": 2, "articles": [{}, {}], "attempts": 1}
    wire = batch_wire(b)
    assert wire["id"] == "KX-initial" and wire["count"] == 2 and "articles" not in wire

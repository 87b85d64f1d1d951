"""Near-duplicate unanswered questions: jieba tokens and Jaccard similarity."""

from __future__ import annotations

from bridge.domain.unanswered import SIMILARITY, closest, is_overdue, jaccard, question_key, question_tokens


def test_jaccard() -> None:
    assert jaccard(["a", "b"], ["a", "b"]) == 1.0
    assert jaccard(["a", "b"], ["b", "c"]) == 1 / 3
    assert jaccard([], []) == 0.0


def test_punctuation_and_spacing_share_a_key() -> None:
    assert question_key("居住证 过期了，怎么办？") == question_key("居住证过期了怎么办")


def test_near_duplicates_match_and_different_questions_do_not() -> None:
    base = {"_id": "x", "tokens": question_tokens("居住证过期了还能续签吗")}
    same = question_tokens("请问居住证过期了还可以续签吗")
    other = question_tokens("公积金贷款利率是多少")
    assert jaccard(same, base["tokens"]) >= SIMILARITY
    assert closest(same, [base]) is base
    assert closest(other, [base]) is None


def test_closest_picks_the_most_similar() -> None:
    a = {"_id": "a", "tokens": ["居住证", "续签", "过期"]}
    b = {"_id": "b", "tokens": ["居住证", "续签", "过期", "材料"]}
    assert closest(["居住证", "续签", "过期"], [b, a])["_id"] == "a"


def test_overdue() -> None:
    import datetime as dt

    entry = {"status": "open", "deadline": "2026-10-12"}
    assert not is_overdue(entry, dt.date(2026, 10, 12))
    assert is_overdue(entry, dt.date(2026, 10, 13))
    assert not is_overdue({**entry, "status": "answered"}, dt.date(2026, 10, 13))

"""`bench/ask_contract.py`: the asking citizen's token kind is not taken from a question's `kind` label."""

from __future__ import annotations

from bench.ask_contract import citizen_kind


def test_a_label_kind_that_is_not_a_user_kind_asks_as_a_person():
    assert citizen_kind({"text": "转人工", "kind": "human"}) == "person"
    assert citizen_kind({"text": "怎么注销公司", "kind": "matter"}) == "person"


def test_user_kind_and_a_kind_that_is_a_user_kind_are_kept():
    assert citizen_kind({"text": "公司怎么领发票", "kind": "matter", "user_kind": "enterprise"}) == "enterprise"
    assert citizen_kind({"text": "公司怎么领发票", "kind": "enterprise"}) == "enterprise"
    assert citizen_kind({"text": "你好"}) == "person"

"""KPI figures per channel, the phone included (bridge/domain/kpis.py::channel_figures)."""

from __future__ import annotations

import datetime as dt

from bridge.domain.kpis import channel_figures
from bridge.domain.phone_links import mask_number, normalize, verified_phone

T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def at(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def test_channel_figures_count_calls_beside_chats() -> None:
    convs = [
        {"channel": "phone", "handed_off": True, "served_by": ["a"], "state": "closed", "resolved": True,
         "assigned_at": at(0), "closed_at": at(300), "phone": {"talk_s": 240, "abandoned": False}},
        {"channel": "phone", "handed_off": True, "served_by": [], "state": "closed", "resolved": None,
         "phone": {"talk_s": None, "abandoned": True}},
        {"channel": "app", "handed_off": True, "served_by": ["b"], "state": "escalated", "escalated": True,
         "assigned_at": at(0), "escalated_at": at(60)},
        {"channel": "app", "handed_off": False, "served_by": [], "state": "closed"},
    ]
    f = channel_figures(convs)
    assert f["phone"]["offered"] == 2 and f["phone"]["answered"] == 1 and f["phone"]["answered_rate"] == 0.5
    assert f["phone"]["handling"]["p50_s"] == 300 and f["phone"]["resolution_rate"] == 1.0
    assert f["phone"]["abandoned"] == 1 and f["phone"]["talk_p50_s"] == 240
    assert f["app"]["conversations"] == 2 and f["app"]["offered"] == 1 and f["app"]["resolution_rate"] == 0.0
    assert f["app"]["handling"]["avg_s"] == 60.0 and "abandoned" not in f["app"]


def test_the_phone_is_listed_without_calls() -> None:
    assert channel_figures([])["phone"] == {
        "conversations": 0, "offered": 0, "answered": 0, "answered_rate": None,
        "handling": {"count": 0, "p50_s": None, "avg_s": None}, "finished": 0, "resolved": 0,
        "resolution_rate": None, "abandoned": 0, "talk_p50_s": None}


def test_caller_numbers_are_normalized_and_masked() -> None:
    assert normalize("+86 138-1234-5678") == normalize("008613812345678") == "13812345678"
    assert mask_number("+8613812345678") == "138****5678"
    assert mask_number("021-12345678") == "*******5678"


def test_only_a_portal_verified_mobile_links_a_citizen() -> None:
    assert verified_phone({"phone": "13812345678", "phone_verified": True}) == "13812345678"
    assert verified_phone({"phone": "13812345678"}) == ""
    assert verified_phone({"phone": "13812345678", "phone_verified": "true"}) == ""
    assert verified_phone({"phone": "02112345678", "phone_verified": True}) == ""

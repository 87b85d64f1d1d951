"""The phone line's pure parts: per-channel KPI figures, caller numbers, call routing and help hours."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.domain.kpis import channel_figures
from bridge.domain.phone_links import mask_number, normalize, verified_phone
from bridge.domain.phone_routing import out_of_hours, route_call
from core.catalogue import get_catalogue
from core.errors import ApiError
from core.settings_checks import unsafe_settings
from core.workcal import SHANGHAI

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


def test_a_line_routes_to_its_department_and_an_ivr_choice_to_a_matter_or_department() -> None:
    cat = get_catalogue()
    assert route_call(cat, "021-12329", None).department == "housing-fund"
    by_matter = route_call(cat, "12345", "1")
    assert (by_matter.department, by_matter.matter) == ("housing-fund", "housing-fund-withdrawal")
    assert route_call(cat, "12345", "2").department == "human-resources"
    assert route_call(cat, "12345", "7").department == "triage"  # an unknown choice: the line's own queue
    with pytest.raises(ApiError) as refused:
        route_call(cat, "021-99999", None)
    assert refused.value.code == "unknown_line"


def test_a_call_out_of_the_lines_hours_gets_an_announcement_and_the_next_opening() -> None:
    cat = get_catalogue()
    saturday = dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
    answer = out_of_hours("housing-fund", saturday, cat)
    assert answer and not answer["accepted"] and answer["next_open"] == "2026-11-30T08:30:00+08:00"
    assert "11月30日 08:30" in answer["announcement"]
    assert out_of_hours("housing-fund", dt.datetime(2026, 11, 30, 8, 45, tzinfo=SHANGHAI), cat) is None
    assert out_of_hours("triage", saturday, cat) is None  # 12345 answers around the clock


def test_a_short_cti_secret_is_refused_outside_local_development(monkeypatch, tmp_path) -> None:
    from core.settings import load_settings

    for name in ("BANGBAN_TOKEN_SECRET", "HOTLINE_SECRET", "RASA_TOKEN"):
        monkeypatch.setenv(name, "x" * 40)
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.setenv("BANGBAN_HOST", "0.0.0.0")
    monkeypatch.setenv("CTI_SECRET", "short")
    monkeypatch.setenv("PHONE_LINK_KEY", "")
    problems = unsafe_settings(load_settings())
    assert any(p.startswith("CTI_SECRET:") for p in problems)
    assert not any(p.startswith("PHONE_LINK_KEY:") for p in problems)  # unset: no caller lookup, not unsafe


def test_a_call_is_in_hours_by_the_phone_calendar() -> None:
    from bridge.domain.kpis import assigned_in_hours

    saturday_night = dt.datetime(2026, 11, 28, 23, 0, tzinfo=SHANGHAI)
    assert assigned_in_hours({"channel": "phone", "department": "triage", "assigned_at": saturday_night})
    assert not assigned_in_hours({"channel": "app", "department": "triage", "assigned_at": saturday_night})

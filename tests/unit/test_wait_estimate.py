"""The wait estimate from measured handling times."""

from __future__ import annotations

import datetime as dt

from bridge.domain.queue_promise import left_message_text, serving_text
from bridge.domain.wait_estimate import BOUNDS_S, FALLBACK_HANDLE_S, handling_seconds, wait_seconds
from core.workcal import SHANGHAI

T = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)


def closed(*spans_s: float) -> list[dict]:
    return [{"assigned_at": T, "closed_at": T + dt.timedelta(seconds=s)} for s in spans_s]


def test_median_of_measured_handling_times():
    assert handling_seconds(closed(300, 600, 900)) == 600
    assert handling_seconds(closed(100, 200, 300, 10_000)) == 250


def test_too_few_or_broken_measurements_use_the_fallback():
    assert handling_seconds(closed(300, 600)) == FALLBACK_HANDLE_S
    assert handling_seconds([{"assigned_at": None, "closed_at": T}] * 5) == FALLBACK_HANDLE_S
    assert handling_seconds(closed(-5, -5, -5)) == FALLBACK_HANDLE_S


def test_outliers_are_clamped():
    assert handling_seconds(closed(1, 2, 3)) == BOUNDS_S[0]
    assert handling_seconds(closed(86_400, 86_400, 86_400)) == BOUNDS_S[1]


def test_wait_spreads_over_online_slots():
    assert wait_seconds(1, 600, 1) == 600
    assert wait_seconds(6, 600, 3) == 1200
    assert wait_seconds(2, 90, 0) == 180  # nobody online: one at a time


def test_texts_promise_one_thing():
    opens = dt.datetime(2026, 11, 30, 9, tzinfo=SHANGHAI)
    later = left_message_text("民政局", opens, notify=True)
    assert "非人工服务时间" in later and "11月30日 09:00" in later and "通过消息通知您" in later
    assert "通过消息通知您" not in left_message_text("民政局", opens, notify=False)
    assert "排在" not in later and "预计等待" not in later
    assert "非人工服务时间" not in serving_text("民政局")

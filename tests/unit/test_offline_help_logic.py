"""Pure logic of offline help: the ledger's deadline, overdue flag, found_by text, contact masking, summary."""

from __future__ import annotations

import datetime as dt

from bridge.domain.offline_help import summarize
from bridge.trainer import ledger
from core.workcal import SHANGHAI, add_workdays

DAY = dt.date(2026, 11, 26)


def entry(eid: str, hall: str, matter: str, status: str = "open", deadline: str = "2026-12-10") -> dict:
    return {"_id": eid, "hall": hall, "matter": matter, "status": status, "deadline": deadline,
            "source": "offline", "problem": eid, "citizen": {"consent": True, "contact": "13812345678"}}


def test_deadline_overdue_and_texts():
    logged = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    assert ledger.default_deadline(logged) == add_workdays(logged.astimezone(SHANGHAI).date(), 10).isoformat()
    assert ledger.is_overdue({"status": "open", "deadline": "2026-11-25"}, DAY)
    assert ledger.is_overdue({"status": "rectifying", "deadline": "2026-11-25"}, DAY)
    assert not ledger.is_overdue({"status": "closed", "deadline": "2026-11-25"}, DAY)
    assert not ledger.is_overdue({"status": "open", "deadline": "2026-11-26"}, DAY)
    assert not ledger.is_overdue({"status": "open", "deadline": None}, DAY)
    finder = {"id": "v1", "role": "window_staff", "name": "李敏", "hall": "徐汇区行政服务中心", "window": "3号窗口"}
    assert ledger.found_by_text(finder) == "李敏（窗口帮办 · 徐汇区行政服务中心 3号窗口）"
    assert ledger.found_by_text("区领导陪同办") == "区领导陪同办"
    assert ledger.mask_contact("13812345678") == "138****5678"
    assert ledger.mask_contact("1234567") == "*******"
    assert ledger.wire(entry("L1", "h", "m"))["citizen"] == {"consent": True, "contact": "138****5678"}
    assert ledger.wire(entry("L1", "h", "m"), reveal=True)["citizen"]["contact"] == "13812345678"


def test_exported_found_by_is_text():
    doc = {**entry("L1", "h", "m"), "found_by": {"id": "v1", "role": "volunteer", "name": "=陈", "hall": "h"}}
    text = ledger.to_csv([doc]).decode("utf-8-sig")
    assert "'=陈（帮办员 · h）" in text


def test_summary_groups_by_hall_and_matter_overdue_first():
    docs = [entry("a", "徐汇", "m1"), entry("b", "徐汇", "m2", deadline="2026-11-20"),
            entry("c", "浦东", "m1", status="closed", deadline="2026-11-01"), entry("d", "", "m1", "rectifying")]
    s = summarize(docs, DAY)
    assert (s["total"], s["open"], s["overdue"], s["closed"]) == (4, 3, 1, 1)
    assert s["by_hall"][0] == {"hall": "徐汇", "total": 2, "open": 2, "overdue": 1}
    assert {r["hall"] for r in s["by_hall"]} == {"徐汇", "浦东", ""}
    assert s["by_matter"][0] == {"matter": "m1", "total": 3, "open": 2, "overdue": 0}
    assert [i["id"] for i in s["items"]][0] == "b" and "c" not in [i["id"] for i in s["items"]]

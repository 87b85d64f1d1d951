"""The problem ledger (问题台账): problems found while helping people, tracked until fixed.

Status: open → rectifying → closed (挂账销号); a closed entry may be reopened to
rectifying when the follow-up review (回头看) finds the problem again. Hot spots of
online help (matters with many unresolved or badly rated conversations) are proposed
as new entries.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections import Counter
from typing import Any

from core.clock import iso, now
from core.workcal import SHANGHAI, add_workdays

STATUSES = ("open", "rectifying", "closed")
STATUS_LABELS = {"open": "挂账", "rectifying": "整改中", "closed": "已销号"}
TRANSITIONS = {"open": {"rectifying", "closed"}, "rectifying": {"closed"}, "closed": {"rectifying"}}
SOURCES = {"online": "线上帮办", "offline": "线下帮办", "hotspot": "热点分析"}
COLUMNS = [("id", "编号"), ("problem", "问题描述"), ("matter", "事项"), ("department", "部门"),
           ("source", "来源"), ("found_by", "发现人"), ("found_where", "发现地点"), ("plan", "整改措施"),
           ("owner", "责任人"), ("deadline", "整改期限"), ("status", "状态"), ("review_date", "回头看日期"),
           ("review_note", "回头看情况"), ("created_at", "登记时间"), ("closed_at", "销号时间")]
BAD_SCORE = 2
OFFLINE_DEADLINE_WORKDAYS = 10  # 整改期限 of a problem logged on the spot, unless one is given
HELPER_ROLES = {"window_staff": "窗口帮办", "volunteer": "帮办员", "official": "帮办领导干部"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula


class LedgerError(ValueError):
    """A refused ledger change (message in Chinese)."""


def can_move(old: str, new: str) -> bool:
    return new in TRANSITIONS.get(old, set())


def check_transition(entry: dict[str, Any], new: str, changes: dict[str, Any]) -> None:
    """Raise LedgerError unless `entry` may move to status `new` with `changes`."""
    old = entry["status"]
    if new == old:
        return
    if not can_move(old, new):
        raise LedgerError(f"状态不能从“{STATUS_LABELS[old]}”改为“{STATUS_LABELS.get(new, new)}”。")
    merged = {**entry, **changes}
    if new == "rectifying" and not (merged.get("plan") and merged.get("owner")):
        raise LedgerError("进入整改须填写整改措施和责任人。")
    if new == "closed" and not merged.get("result"):
        raise LedgerError("销号须填写整改结果。")


def today() -> dt.date:
    """Today in Shanghai (deadlines are Shanghai dates)."""
    return now().astimezone(SHANGHAI).date()


def default_deadline(created: dt.datetime, workdays: int = OFFLINE_DEADLINE_WORKDAYS) -> str:
    """The rectification deadline `workdays` working days after the day an entry was logged."""
    return add_workdays(created.astimezone(SHANGHAI).date(), workdays).isoformat()


def is_overdue(doc: dict[str, Any], day: dt.date) -> bool:
    """Not closed and past its deadline on `day`."""
    return doc.get("status") != "closed" and bool(doc.get("deadline")) and str(doc["deadline"]) < day.isoformat()


def found_by_text(value: Any) -> str:
    """Who found a problem, as text: a name, or a helper's name, role, hall and window."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    place = " ".join(p for p in (value.get("hall"), value.get("window")) if p)
    role = HELPER_ROLES.get(value.get("role", ""), value.get("role", ""))
    detail = " · ".join(p for p in (role, place) if p)
    return f"{value.get('name') or value.get('id', '')}（{detail}）" if detail else str(value.get("name", ""))


def mask_contact(value: str) -> str:
    """A contact shown in lists: the first 3 and last 4 characters of a long one, else all masked."""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) >= 8 else "*" * len(value)


def citizen_wire(citizen: dict[str, Any] | None, reveal: bool) -> dict[str, Any] | None:
    """The citizen's consent to be contacted and contact, masked unless `reveal`."""
    if not citizen:
        return None
    contact = citizen.get("contact") or ""
    return {"consent": bool(citizen.get("consent")), "contact": contact if reveal else mask_contact(contact)}


def wire(doc: dict[str, Any], reveal: bool = False) -> dict[str, Any]:
    """An entry for clients; the citizen's contact (offline entries) masked unless `reveal`."""
    out = {k: doc.get(k) for k, _ in COLUMNS}
    out.update(id=doc["_id"], created_at=iso(doc.get("created_at")), closed_at=iso(doc.get("closed_at")),
               updated_at=iso(doc.get("updated_at")), result=doc.get("result"), created_by=doc.get("created_by"),
               history=[{**h, "ts": iso(h.get("ts"))} for h in doc.get("history", [])],
               hotspot=doc.get("hotspot"), overdue=is_overdue(doc, today()),
               found_by_text=found_by_text(doc.get("found_by")))
    if doc.get("source") == "offline":
        out.update(photos=list(doc.get("photos") or []), citizen=citizen_wire(doc.get("citizen"), reveal),
                   hall=doc.get("hall", ""), window=doc.get("window", ""))
    return out


def new_entry(data: dict[str, Any], by: dict[str, Any]) -> dict[str, Any]:
    t = now()
    return {"_id": f"L{t:%Y%m%d}-{uuid.uuid4().hex[:6]}", **data, "status": "open", "created_at": t,
            "updated_at": t, "created_by": by, "history": [{"ts": t, "by": by, "status": "open", "note": "登记"}]}


def hotspots(conversations: list[dict], ratings: list[dict], min_count: int = 3) -> list[dict[str, Any]]:
    """Matters with at least `min_count` unresolved or badly rated (score <= 2) conversations."""
    bad_rated = {r["conversation_id"] for r in ratings if int(r.get("score") or 5) <= BAD_SCORE}
    unresolved: Counter[str] = Counter()
    badly: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for c in conversations:
        m = c.get("matter")
        if not m:
            continue
        total[m] += 1
        if c.get("state") == "closed" and c.get("resolved") is False:
            unresolved[m] += 1
        if c["_id"] in bad_rated:
            badly[m] += 1
    out = []
    for m in total:
        issues = unresolved[m] + badly[m]
        if issues >= min_count:
            out.append({"matter": m, "conversations": total[m], "unresolved": unresolved[m], "bad_ratings": badly[m],
                        "score": issues})
    return sorted(out, key=lambda x: (-x["score"], x["matter"]))


def as_text(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading `'` before = + - @ tab or CR (no formula injection)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(doc: dict[str, Any], key: str) -> str:
    value = doc.get(key)
    if key == "status":
        return STATUS_LABELS.get(value, value or "")
    if key == "source":
        return SOURCES.get(value, value or "")
    if key == "found_by":
        return as_text(found_by_text(value))
    if isinstance(value, dt.datetime):
        return iso(value) or ""
    return "" if value is None else as_text(str(value))


def to_csv(docs: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([label for _, label in COLUMNS])
    for d in docs:
        w.writerow([_cell({**d, "id": d["_id"]}, k) for k, _ in COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(docs: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # control characters XLSX cannot hold

    wb = Workbook()
    ws = wb.active
    ws.title = "问题台账"
    ws.append([label for _, label in COLUMNS])
    for d in docs:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", _cell({**d, "id": d["_id"]}, k)) for k, _ in COLUMNS])
    for col, width in zip("ABCDEFGHIJKLMNO", (20, 40, 22, 18, 10, 12, 16, 40, 10, 12, 8, 12, 30, 24, 24), strict=True):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

"""Export a matter file as a guide sheet (`.xlsx`, the layout `kb.matter_import.read_sheet` reads back)."""

from __future__ import annotations

import io
from typing import Any

ASPECT_FIELDS = {"conditions": "受理条件", "materials": "申请材料", "process": "办理流程"}


def sheet_rows(doc: dict[str, Any]) -> list[list[str]]:
    """One row per field (name in column A, values from B on); FAQs one row each (question, answer)."""
    guide = doc.get("guide") or {}
    arts = {a.get("aspect"): a for a in doc.get("articles") or [] if a.get("aspect") != "faq"}
    entry = guide.get("online_entry") or {}
    rows = [["事项标识", doc.get("matter") or ""], ["事项名称", doc.get("name") or ""],
            ["事项类型", doc.get("kind") or ""], ["实施部门", doc.get("department") or ""],
            ["别名", *(doc.get("aliases") or [])], ["实施编码", guide.get("code", "")],
            ["办理对象", guide.get("target", "")]]
    for aspect, label in ASPECT_FIELDS.items():
        art = arts.get(aspect) or {}
        steps = [s for s in art.get("steps") or [] if not str(s).startswith("办理对象：")]
        rows.append([label, *(steps or ([art["answer"]] if art.get("answer") else []))])
    rows += [["法定时限", guide.get("legal_limit", "")], ["承诺时限", guide.get("promised_limit", "")],
             ["收费", guide.get("fee", "")],
             ["办理地点与时间", *[f"{p['name']}（{p['hours']}）" if p.get("hours") else p["name"]
                                  for p in guide.get("locations") or []]],
             ["咨询电话", guide.get("hotline", "")],
             ["网办入口", f"{entry['name']}|{entry.get('path', '')}".rstrip("|") if entry.get("name") else ""],
             ["指南名称", guide.get("title", "")], ["指南链接", guide.get("url", "")]]
    rows += [["常见问题", a.get("question") or a.get("title", ""), a.get("answer", "")]
             for a in doc.get("articles") or [] if a.get("aspect") == "faq"]
    return rows


def to_xlsx(doc: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "事项"
    for row in sheet_rows(doc):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

"""Import a matter: the KB matter file itself, or a guide file in the national 实施清单 layout.

`read_upload` turns uploaded bytes (JSON, YAML or an Excel `.xlsx` sheet) into a mapping;
`to_matter_file` turns that mapping into the matter file's shape (docs/kb-format.md, "Matter import"):
a matter file is taken as it is, a guide file is mapped to the seven aspect articles and the
`guide:` block. Pure functions: the trainer's matters service checks, diffs and writes the result.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import yaml

from kb.guide import GUIDE_KEYS

# guide-file field -> the names it may carry (English first, then the national list's Chinese)
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "事项标识"), "name": ("name", "事项名称"), "kind": ("kind", "事项类型"),
    "department": ("department", "实施部门"), "aliases": ("aliases", "别名"), "code": ("code", "实施编码"),
    "target": ("target", "办理对象"), "conditions": ("conditions", "受理条件"),
    "materials": ("materials", "申请材料"), "process": ("process", "办理流程"),
    "legal_limit": ("legal_limit", "法定时限"), "promised_limit": ("promised_limit", "承诺时限"),
    "fee": ("fee", "收费"), "locations": ("locations", "办理地点与时间"), "hotline": ("hotline", "咨询电话"),
    "online_entry": ("online_entry", "网办入口"), "title": ("title", "指南名称"), "url": ("url", "指南链接"),
    "faqs": ("faqs", "常见问题"),
}
LIST_FIELDS = ("aliases", "conditions", "materials", "process", "locations", "faqs")
_SPLIT = re.compile(r"[\n；;]+")
_SENTENCE = re.compile(r"^(.+?[。；;!！?？])")
KINDS_ZH = {"个人": "person", "自然人": "person", "法人": "enterprise", "企业": "enterprise"}


class ImportFormatError(ValueError):
    """The upload is not a matter file or a guide file this importer reads."""


def read_upload(filename: str, content: bytes) -> dict[str, Any]:
    """The mapping in an uploaded `.json`, `.yml`/`.yaml` or `.xlsx` file."""
    name = filename.lower()
    try:
        if name.endswith(".xlsx") or content[:2] == b"PK":
            return read_sheet(content)
        text = content.decode("utf-8-sig")
        data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)  # YAML reads JSON too
    except ImportFormatError:
        raise
    except (ValueError, yaml.YAMLError) as exc:
        raise ImportFormatError(f"无法读取文件：{str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise ImportFormatError("文件内容应为一个对象（JSON 对象或 YAML 映射）。")
    return data


def read_sheet(content: bytes) -> dict[str, Any]:
    """A guide file as an Excel sheet: one row per field, the field's name in column A, its value in B.

    A list field takes one item per cell from column B on, or one item per line of one cell; a
    `常见问题`/`faqs` row holds one FAQ: the question in B, the answer in C (repeat the row for more).
    """
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ImportFormatError(f"无法读取 Excel 文件：{str(exc)[:200]}") from None
    data: dict[str, Any] = {}
    for row in sheet.iter_rows(values_only=True):
        cells = ["" if c is None else str(c).strip() for c in row]
        if not cells or not cells[0]:
            continue
        key, values = canonical(cells[0]) or cells[0], [c for c in cells[1:] if c]
        if key == "faqs":
            if len(values) >= 2:
                data.setdefault("faqs", []).append({"question": values[0], "answer": values[1]})
        elif key in LIST_FIELDS:
            data.setdefault(key, []).extend(v for c in values for v in _SPLIT.split(c) if v.strip())
        elif values:
            data[key] = values[0]
    return data


def canonical(key: str) -> str | None:
    """The guide-file field a column or key names (English or Chinese), else None."""
    key = str(key).strip()
    return next((f for f, names in FIELDS.items() if key in names), None)


def is_matter_file(data: dict[str, Any]) -> bool:
    return isinstance(data.get("articles"), list)


def items(value: Any) -> list[str]:
    """A list field's items: a list as it is, a text split at line breaks and semicolons."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in _SPLIT.split(str(value)) if p.strip()]


def first_sentence(text: str) -> str:
    m = _SENTENCE.match(text.strip())
    return (m.group(1) if m else text.strip())[:120]


def guide_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The guide file's fields under their English names (unknown keys are kept for the problems list)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[canonical(key) or str(key)] = value
    return out


def _locations(value: Any) -> list[dict[str, str]]:
    """`办理地点与时间` as `[{name, hours}]`: mappings as they are, texts split at `（`/`:`/`，`."""
    out = []
    for item in value if isinstance(value, list) else items(value):
        if isinstance(item, dict):
            place = {k: str(item.get(k) or "").strip() for k in ("name", "hours")}
        else:
            text = str(item).strip()
            m = re.match(r"^(.+?)[（(](.+?)[）)]?$", text) or re.match(r"^(.+?)[：:，,]\s*(.+)$", text)
            place = {"name": m.group(1).strip(), "hours": m.group(2).strip()} if m else {"name": text, "hours": ""}
        if place["name"]:
            out.append({k: v for k, v in place.items() if v})
    return out


def _entry(value: Any) -> dict[str, str] | None:
    if isinstance(value, dict) and value.get("name"):
        return {k: str(value[k]).strip() for k in ("name", "path") if value.get(k)}
    if isinstance(value, str) and value.strip():
        name, _, path = value.strip().partition("|")
        return {"name": name.strip(), **({"path": path.strip()} if path.strip() else {})}
    return None


def guide_block(f: dict[str, Any]) -> dict[str, Any]:
    """The `guide:` block of a matter from the guide file's fields."""
    guide: dict[str, Any] = {k: str(f[k]).strip() for k in ("title", "url", "code", "target", "legal_limit",
                                                           "promised_limit", "fee", "hotline")
                             if f.get(k) not in (None, "") and not isinstance(f[k], (list, dict))}
    if "target" in guide:
        guide["target"] = "；".join(items(f["target"]))
    if _entry(f.get("online_entry")):
        guide["online_entry"] = _entry(f.get("online_entry"))
    if _locations(f.get("locations")):
        guide["locations"] = _locations(f.get("locations"))
    return {k: guide[k] for k in GUIDE_KEYS if k in guide}


def _article(matter: str, aspect: str, title: str, question: str, answer: str, steps: list[str],
             source: str, today: str) -> dict[str, Any]:
    art: dict[str, Any] = {"id": f"{matter}.{aspect}", "aspect": aspect, "title": title, "question": question,
                           "answer": answer}
    if steps:
        art["steps"] = steps
    art.update(source=source, effective_date="", verified_date=today, version=1)
    return art


def aspect_articles(matter: str, name: str, guide: dict[str, Any], f: dict[str, Any],
                    today: str) -> list[dict[str, Any]]:
    """The seven aspect articles of a matter from its guide file (answers from the first item/sentence)."""
    source = f"{guide.get('title') or name + '办事指南'}" + (f"（{guide['url']}）" if guide.get("url") else "")
    conditions, materials, process = items(f.get("conditions")), items(f.get("materials")), items(f.get("process"))
    entry, places, hotline = guide.get("online_entry"), guide.get("locations") or [], guide.get("hotline")
    limits = [f"{label}{guide[key]}" for key, label in (("legal_limit", "法定办结时限"),
                                                         ("promised_limit", "承诺办结时限")) if guide.get(key)]
    call = f"，也可拨打咨询电话{hotline}" if hotline else ""
    rows = [
        ("conditions", "办理对象与条件", f"办理{name}需要什么条件？",
         first_sentence(conditions[0]) if conditions else f"{name}的办理对象：{guide.get('target', '见办事指南')}。",
         ([f"办理对象：{guide['target']}"] if guide.get("target") else []) + conditions),
        ("materials", "申请材料", f"办理{name}要带哪些材料？",
         f"需要准备{len(materials)}项材料，首先是{materials[0]}。" if materials else "申请材料以办事指南为准。",
         materials),
        ("process", "网上办理步骤", f"{name}怎么在网上办理？",
         first_sentence(process[0]) if process else f"可在{(entry or {}).get('name', '一网通办')}在线办理。", process),
        ("offline", "线下办理地点与时间", f"{name}可以去哪里办？",
         f"可到{places[0]['name']}办理" + (f"，办公时间{places[0]['hours']}。" if places[0].get("hours") else "。")
         if places else "线下办理地点以办事指南为准。",
         [f"{p['name']}（{p['hours']}）" if p.get("hours") else p["name"] for p in places]),
        ("fees", "收费标准", f"办理{name}收费吗？", first_sentence(guide.get("fee") or "收费以办事指南为准。"), []),
        ("time_limit", "办理时限", f"{name}多久能办好？",
         ("，".join(limits) + "。") if limits else "办理时限以办事指南为准。", []),
        ("progress", "办理进度查询", f"{name}的办理进度怎么查？",
         f"提交后可在随申办APP“我的办件”中查询{name}的办理进度{call}。", []),
    ]
    arts = [_article(matter, a, f"{name}的{label}", q, ans, steps, source, today) for a, label, q, ans, steps in rows]
    if entry:
        next(a for a in arts if a["aspect"] == "process")["service_entry"] = {
            "name": entry["name"], "path": entry.get("path") or f"随申办APP → 搜索“{entry['name']}”"}
    return arts


def faq_articles(matter: str, faqs: Any, source: str, today: str) -> list[dict[str, Any]]:
    """FAQ articles (`<matter>.faq.NN`) from `[{question, answer, steps?}]`."""
    out = []
    for i, faq in enumerate(faqs if isinstance(faqs, list) else [], start=1):
        if isinstance(faq, dict) and faq.get("question") and faq.get("answer"):
            q, answer = str(faq["question"]).strip(), str(faq["answer"]).strip()
            art = _article(matter, "faq", q, q, first_sentence(answer), items(faq.get("steps")), source, today)
            out.append({**art, "id": f"{matter}.faq.{i:02d}"})
    return out


def from_guide(data: dict[str, Any], defaults: dict[str, str], today: str | None = None) -> dict[str, Any]:
    """A matter file (the YAML shape) from a guide file; `defaults` gives `id`/`department`/`kind` not in it."""
    f = guide_fields(data)
    today = today or dt.date.today().isoformat()
    matter = str(f.get("id") or defaults.get("id") or "").strip()
    name = str(f.get("name") or "").strip()
    guide = guide_block(f)
    kind = str(f.get("kind") or defaults.get("kind") or "person").strip()
    source = guide.get("title") or f"{name}办事指南"
    return {"matter": matter, "department": str(f.get("department") or defaults.get("department") or "").strip(),
            "name": name, "kind": KINDS_ZH.get(kind, kind), "aliases": items(f.get("aliases")), "guide": guide,
            "articles": aspect_articles(matter, name, guide, f, today) + faq_articles(matter, f.get("faqs"),
                                                                                      source, today)}


def unknown_fields(data: dict[str, Any]) -> list[str]:
    """Keys of a guide file this importer does not know (reported, not silently dropped)."""
    return [str(k) for k in data if canonical(k) is None]


def to_matter_file(data: dict[str, Any], defaults: dict[str, str], today: str | None = None) -> dict[str, Any]:
    """The matter file's shape of an upload: a matter file as it is (defaults filled), a guide file mapped."""
    if is_matter_file(data):
        out = dict(data)
        for key in ("matter", "department", "kind"):
            if not out.get(key) and defaults.get("id" if key == "matter" else key):
                out[key] = defaults["id" if key == "matter" else key]
        return out
    return from_guide(data, defaults, today)

"""Matter import: guide header validation, the guide-file mapping (JSON and Excel), merge, diff, catalogue line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from bridge.trainer.matters_files import kb_text, with_matter
from core.catalogue import Matter, load_catalogue
from kb.guide import check_guide, read_header
from kb.loader import MATTER_ASPECTS, load_kb
from kb.matter_diff import diff, merge_guide
from kb.matter_export import sheet_rows, to_xlsx
from kb.matter_import import ImportFormatError, from_guide, read_sheet, read_upload, to_matter_file, unknown_fields

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "examples" / "pet-clinic-license.guide.json"


def example() -> dict:
    return read_upload(EXAMPLE.name, EXAMPLE.read_bytes())


def test_guide_block_rejects_unknown_keys_and_plain_http():
    guide, problems = check_guide({"title": "指南", "url": "http://x.gov.cn", "colour": "red",
                                   "online_entry": {"name": "入口", "path": "随申办"}})
    assert "guide: unknown key 'colour'" in problems
    assert any("https://" in p for p in problems)
    assert guide["online_entry"] == {"name": "入口", "path": "随申办"}
    header, problems = read_header({"kind": "robot", "retired": "yes"})
    assert header["kind"] == "" and len(problems) == 2


def test_guide_file_maps_to_seven_aspects_faqs_and_guide(tmp_path):
    doc = to_matter_file(example(), {}, today="2026-11-26")
    assert doc["matter"] == "pet-clinic-license" and doc["kind"] == "enterprise"
    aspects = [a["aspect"] for a in doc["articles"]]
    assert set(MATTER_ASPECTS) <= set(aspects) and aspects.count("faq") == 2
    by = {a["aspect"]: a for a in doc["articles"]}
    assert by["time_limit"]["answer"] == "法定办结时限20个工作日，承诺办结时限10个工作日。"
    assert by["materials"]["steps"][0] == "动物诊疗许可证申请表"
    assert by["process"]["service_entry"]["name"] == "动物诊疗许可证核发"
    assert by["offline"]["answer"].startswith("可到区行政服务中心综合窗口办理")
    assert doc["guide"]["locations"] == [{"name": "区行政服务中心综合窗口", "hours": "工作日 9:00-17:00"}]
    assert doc["guide"]["promised_limit"] == "10个工作日"
    (tmp_path / "pet-clinic-license.yml").write_text(kb_text(doc), encoding="utf-8")
    matters = {"pet-clinic-license": Matter("pet-clinic-license", doc["name"], "enterprise", "market-regulation")}
    kb = load_kb(tmp_path, matters)
    assert kb.errors == []
    f = kb.files[0]
    assert f.kind == "enterprise" and f.guide["code"].endswith("EXAMPLE") and len(f.articles) == 9


def test_excel_guide_sheet_reads_like_the_json_and_export_round_trips():
    doc = to_matter_file(example(), {}, today="2026-11-26")
    again = to_matter_file(read_sheet(to_xlsx(doc)), {}, today="2026-11-26")
    assert again["name"] == doc["name"] and again["department"] == "market-regulation"
    assert again["aliases"] == doc["aliases"] and again["guide"] == doc["guide"]
    assert [a["id"] for a in again["articles"]] == [a["id"] for a in doc["articles"]]
    assert [r[0] for r in sheet_rows(doc)][:2] == ["事项标识", "事项名称"]


def test_excel_list_cells_split_at_lines_and_faq_rows():
    wb = Workbook()
    ws = wb.active
    for row in (["事项名称", "示例事项"], ["申请材料", "身份证\n户口簿", "照片"], ["常见问题", "要钱吗？", "不要。"],
                ["颜色", "红"]):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    data = read_sheet(out.getvalue())
    assert data["materials"] == ["身份证", "户口簿", "照片"]
    assert data["faqs"] == [{"question": "要钱吗？", "answer": "不要。"}]
    assert unknown_fields(data) == ["颜色"]


def test_matter_file_upload_is_taken_as_it_is_with_defaults():
    raw = json.dumps({"name": "某事项", "articles": []}).encode()
    doc = to_matter_file(read_upload("m.json", raw), {"id": "some-matter", "department": "taxation"})
    assert doc["matter"] == "some-matter" and doc["department"] == "taxation" and doc["articles"] == []
    assert read_upload("m.yml", yaml.safe_dump({"a": 1}).encode()) == {"a": 1}


def test_guide_merge_keeps_other_articles_and_paraphrases_and_diff_lists_changes():
    old = from_guide(example(), {}, today="2026-11-01")
    old["articles"][0]["paraphrases"] = ["宠物医院要什么条件", "开宠物诊所条件", "动物诊疗条件有哪些"]
    old["articles"].append({"id": "pet-clinic-license.rates", "aspect": "faq", "title": "t", "answer": "a"})
    data = {**example(), "收费": "收取工本费10元。", "常见问题": []}
    new = merge_guide(old, from_guide(data, {}, today="2026-11-26"))
    ids = [a["id"] for a in new["articles"]]
    assert "pet-clinic-license.rates" in ids and "pet-clinic-license.faq.01" in ids
    cond = next(a for a in new["articles"] if a["aspect"] == "conditions")
    assert cond["paraphrases"] == old["articles"][0]["paraphrases"]
    d = diff(old, new)
    assert d["new_matter"] is False
    assert {"field": "guide", "old": old["guide"], "new": new["guide"]} in d["fields"]
    assert {"id": "pet-clinic-license.fees", "fields": ["answer"]} in d["articles"]["changed"]
    assert d["articles"]["removed"] == [] and d["articles"]["added"] == []
    replaced = diff(old, {**old, "articles": old["articles"][:7]})
    assert "pet-clinic-license.rates" in replaced["articles"]["removed"]
    assert diff(None, new)["new_matter"] is True


def test_catalogue_line_is_appended_or_replaced_and_the_rest_kept(tmp_path):
    text = (ROOT / "data" / "catalogue" / "matters.yml").read_text(encoding="utf-8")
    m = Matter("pet-clinic-license", "动物诊疗许可证核发", "enterprise", "market-regulation")
    added = with_matter(text, m)
    assert added.count("\n") == text.count("\n") + 1 and added.startswith(text.split("matters:")[0])
    retired = with_matter(added, Matter(m.id, "名字: 带冒号", m.kind, m.department, retired=True))
    assert retired.count("\n") == added.count("\n")
    (tmp_path / "catalogue").mkdir()
    (tmp_path / "catalogue" / "matters.yml").write_text(retired, encoding="utf-8")
    (tmp_path / "catalogue" / "routing.yml").write_bytes((ROOT / "data" / "catalogue" / "routing.yml").read_bytes())
    cat = load_catalogue(tmp_path)
    assert cat.matters[m.id].retired and cat.matters[m.id].name == "名字: 带冒号"
    assert cat.route(m.id) == cat.fallback


def test_unreadable_uploads_are_refused_with_a_reason():
    for name, raw, said in (("a.xlsx", b"PK\x03\x04junk", "Excel"), ("a.json", b"\xff\xfe\x00", "无法读取文件"),
                            ("a.yml", b"- a\n- b", "对象"), ("a.json", b"{a:", "无法读取文件")):
        with pytest.raises(ImportFormatError) as exc:
            read_upload(name, raw)
        assert said in str(exc.value) and "无法读取文件：无法读取" not in str(exc.value)

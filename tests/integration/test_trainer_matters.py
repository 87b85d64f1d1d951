"""Matter authoring over HTTP: import with a dry-run diff, create, edit, retire, export; and every bridge
process routing the new matter without a restart (two bridges, no Rasa)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from openpyxl import load_workbook

from ops.system import System
from tests.integration.systems import MultiHarness, bridge_url, open_harness, own_system

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "examples" / "pet-clinic-license.guide.json"
MID = "pet-clinic-license"


@pytest.fixture(scope="module")
def matters_system() -> Iterator[System]:
    yield from own_system("matters", bridges=2)


@pytest.fixture
async def mh(matters_system: System) -> AsyncIterator[MultiHarness]:
    async for h in open_harness(matters_system):
        yield h


def root(system: System) -> Path:
    return Path(system.env()["BANGBAN_TRAINER_ROOT"])


def upload(data: dict | bytes, name: str = "guide.json", **extra: str) -> dict:
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return {"filename": name, "content": base64.b64encode(raw).decode(), **extra}


async def xlsx_of(h: MultiHarness, token: str, mid: str) -> bytes:
    async with aiohttp.ClientSession() as s, s.get(f"{bridge_url(h.system, 0)}/api/v1/trainer/matters/{mid}/export",
                                                   params={"format": "xlsx"},
                                                   headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 200 and r.content_type.endswith("spreadsheetml.sheet")
        return await r.read()


async def on_bridge(h: MultiHarness, i: int, mid: str, **want: object) -> None:
    """Wait (up to 5 s) until bridge process `i` has followed the catalogue revision for `mid`."""
    token = await h.user_token()
    async with aiohttp.ClientSession() as s:
        for _ in range(50):
            async with s.get(f"{bridge_url(h.system, i)}/api/v1/catalogue",
                             headers={"Authorization": f"Bearer {token}"}) as r:
                found = next((m for m in (await r.json())["matters"] if m["id"] == mid), None)
            if found and all(found.get(k) == v for k, v in want.items()):
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"bridge {i} does not know {mid} {want}")


async def token_of(h: MultiHarness, role: str, departments: list[str] | None = None) -> str:
    username, _ = await h.make_staff(departments or [], role)
    return await h.staff_token(username)


async def test_guide_import_dry_run_then_write_and_every_bridge_routes_the_new_matter(mh: MultiHarness):
    trainer, supervisor = await token_of(mh, "trainer"), await token_of(mh, "supervisor", ["taxation"])
    guide = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    kb_file = root(mh.system) / "data" / "kb" / f"{MID}.yml"
    status, body = await mh.http("POST", "/api/v1/trainer/matters/import?dry_run=1", token=supervisor,
                                 json=upload(guide))
    assert status == 403
    status, body = await mh.http("POST", "/api/v1/trainer/matters/import?dry_run=1", token=trainer,
                                 json=upload({**guide, "别名": [*guide["别名"], "公积金提取"]}))
    assert status == 200 and body["errors"] == [] and not body["written"] and not kb_file.exists()
    assert body["diff"]["new_matter"] and len(body["diff"]["articles"]["added"]) == 9
    assert any("公积金提取" in w and "housing-fund-withdrawal" in w for w in body["warnings"])

    status, body = await mh.http("POST", "/api/v1/trainer/matters/import", token=trainer,
                                 json=upload({**guide, "实施部门": "no-such-office"}))
    assert status == 400 and body["error"]["errors"] == ["未知的部门：no-such-office。"] and not kb_file.exists()
    status, body = await mh.http("POST", "/api/v1/trainer/matters/import", token=trainer, json=upload(guide))
    assert status == 200 and body["written"], body
    assert kb_file.exists()
    assert f"id: {MID}," in (root(mh.system) / "data/catalogue/matters.yml").read_text(encoding="utf-8")
    assert "- 宠物医院许可证" in (root(mh.system) / "data/nlu/matters.yml").read_text(encoding="utf-8")
    assert await mh.store.kb_articles.count_documents({"matter": MID}) == 9
    status, body = await mh.http("GET", "/api/v1/trainer/matters?q=pet-clinic", token=supervisor)
    assert status == 200 and body["matters"] == [{"id": MID, "name": "动物诊疗许可证核发", "kind": "enterprise",
                                                  "department": "market-regulation", "retired": False,
                                                  "articles": 9, "faqs": 2, "aliases": 5, "missing": []}]

    # the other bridge process knows the matter (catalogue revision) and routes its handoff to its department
    await on_bridge(mh, 1, MID, department="market-regulation")
    await mh.reset_department("market-regulation")
    user = await mh.user_on(1)
    ack = await user.call("message", {"client_msg_id": "m-" + os.urandom(4).hex(), "type": "text",
                                      "text": "开宠物医院要什么条件", "matter": MID})
    assert ack["ok"], ack
    ack = await user.call("handoff", {"conversation_id": ack["conversation_id"]})
    assert ack["ok"] and ack["department"] == "market-regulation", ack

    # a second import of the same guide changes nothing
    status, body = await mh.http("POST", "/api/v1/trainer/matters/import?dry_run=1", token=trainer,
                                 json=upload(guide))
    assert body["diff"]["fields"] == [] and body["diff"]["articles"] == {"added": [], "changed": [], "removed": []}


async def test_create_edit_validation_retire_and_export(mh: MultiHarness):
    trainer = await token_of(mh, "trainer")
    new = {"id": "test-boat-license", "name": "游艇驾驶证（测试）", "kind": "person", "department": "public-security",
           "aliases": ["游艇证", "开游艇证件"], "guide": {"hotline": "12345", "url": "https://zwdt.sh.gov.cn/x"}}
    status, body = await mh.http("POST", "/api/v1/trainer/matters", token=trainer, json={**new, "department": "nope"})
    assert status == 400 and body["error"]["message"] == "未知的部门：nope。"
    status, body = await mh.http("POST", "/api/v1/trainer/matters", token=trainer, json={**new, "id": "Bad_Id"})
    assert status == 400
    status, body = await mh.http("POST", "/api/v1/trainer/matters", token=trainer,
                                 json={**new, "guide": {"url": "http://plain"}})
    assert status == 400
    status, body = await mh.http("POST", "/api/v1/trainer/matters", token=trainer,
                                 json={**new, "aliases": [*new["aliases"], "公积金提取"]})
    assert status == 200 and body["matter"]["id"] == "test-boat-license", body
    assert any("公积金提取" in w for w in body["matter"]["warnings"])  # reported, kept
    status, body = await mh.http("POST", "/api/v1/trainer/matters", token=trainer, json=new)
    assert status == 409
    status, body = await mh.http("PUT", "/api/v1/trainer/matters/test-boat-license", token=trainer,
                                 json={"name": "游艇驾驶证核发（测试）", "guide": {"fee": "不收费"}})
    assert status == 200 and body["matter"]["name"] == "游艇驾驶证核发（测试）"
    status, body = await mh.http("GET", "/api/v1/trainer/matters/test-boat-license", token=trainer)
    assert body["matter"]["guide"] == {"fee": "不收费"}
    assert body["matter"]["aliases"] == ["游艇证", "开游艇证件", "公积金提取"]
    status, body = await mh.http("GET", "/api/v1/trainer/matters/no-such", token=trainer)
    assert status == 404

    status, body = await mh.http("POST", "/api/v1/trainer/matters/test-boat-license/retire", token=trainer)
    assert status == 200 and body["matter"]["retired"]
    await on_bridge(mh, 1, "test-boat-license", retired=True)
    await mh.reset_department("triage")
    user = await mh.user_on(1)
    ack = await user.call("message", {"client_msg_id": "m-" + os.urandom(4).hex(), "type": "text",
                                      "text": "游艇证怎么办", "matter": "test-boat-license"})
    ack = await user.call("handoff", {"conversation_id": ack["conversation_id"]})
    assert ack["ok"] and ack["department"] == "triage", ack  # a retired matter is not routed

    status, body = await mh.http("GET", f"/api/v1/trainer/matters/{MID}/export?format=json", token=trainer)
    assert status == 200 and body["matter"] == MID and body["guide"]["promised_limit"] == "10个工作日"
    raw = await xlsx_of(mh, trainer, MID)
    sheet = load_workbook(io.BytesIO(raw)).active
    assert [c.value for c in sheet[2]][:2] == ["事项名称", "动物诊疗许可证核发"]
    # the exported sheet imports back as the same matter: nothing to change
    status, body = await mh.http("POST", "/api/v1/trainer/matters/import?dry_run=1", token=trainer,
                                 json=upload(raw, "m.xlsx"))
    assert status == 200 and body["errors"] == [] and body["diff"]["articles"]["added"] == [], body

"""Issue 16's Done-when in a real browser: a matter created in /trainer from an imported guide file is answered
by the bot after the retrain, and its handoff is routed to its department.

On a system of its own (bridge, Rasa, actions; the trainer edits a copy of the project), so that the shared
session system keeps its catalogue and model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from ops.system import System
from tests.browser.conftest import agent_login, screenshot, train_and_go_live
from tests.integration.systems import MultiHarness, open_harness, own_system

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "examples" / "pet-clinic-license.guide.json"
MID, DEPARTMENT = "pet-clinic-license", "market-regulation"


@pytest.fixture(scope="module")
def authoring_system() -> Iterator[System]:
    yield from own_system("matter-import", bridges=1, with_rasa=True)


@pytest.fixture
async def h(authoring_system: System) -> AsyncIterator[MultiHarness]:
    async for harness in open_harness(authoring_system):
        yield harness


@pytest.mark.timeout(900)
async def test_imported_guide_becomes_a_matter_the_bot_answers_and_routes(h, new_page):
    username, password = await h.make_staff([], "trainer", name="测试训练师")
    page = await new_page()
    await agent_login(page, h.base_url, username, password, path="/trainer")
    await page.click("#tabs button[data-tab=matters]")
    await page.set_input_files("#matter-file", str(EXAMPLE))
    await page.click("#matter-dry-run")
    diff = page.locator("#matter-diff")
    await expect(diff).to_contain_text(f"新事项 {MID}", timeout=30_000)
    await expect(diff).to_contain_text(f"{MID}.conditions")
    await page.click("#matter-import-confirm")
    await expect(page.locator("#matters-table")).to_contain_text("动物诊疗许可证核发", timeout=60_000)
    await screenshot(page, "trainer-matter-import")

    await train_and_go_live(page)

    await h.reset_department(DEPARTMENT)
    agent = await h.agent([DEPARTMENT])
    user = await h.user()
    ack = await user.call("message", {"client_msg_id": "pet-1", "type": "text",
                                      "text": "开宠物医院办动物诊疗许可证要准备哪些材料"})
    assert ack["ok"], ack
    cid = ack["conversation_id"]
    reply = await user.wait_for("message", conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot",
                                timeout=30)
    assert reply["meta"]["matter"] == MID and reply["meta"]["kb_article"].startswith(f"{MID}."), reply["meta"]
    handed = await user.call("handoff", {"conversation_id": cid, "reason": "想问人工"})
    assert handed["ok"] and handed["department"] == DEPARTMENT, handed
    assigned = await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    assert assigned["conversation"]["matter"] == MID and assigned["conversation"]["department"] == DEPARTMENT

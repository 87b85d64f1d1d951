"""axe-core (vendored, tests/browser/vendor/axe.min.js, 4.14.1, MPL-2.0) on every pane through Playwright:
no serious or critical violation on /h5 (standard and 长者模式), /agent (agent and supervisor, each tab),
/dashboard and /trainer (each tab)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import agent_login, page_factory
from tests.support import start_conversation

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
RUN_AXE = """async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] });
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary) }));
}"""


@pytest.fixture
async def new_page(browser: Browser):
    """Pages whose Content Security Policy lets the test inject axe-core (the panes' own stays strict)."""
    async with page_factory(browser, bypass_csp=True) as make:
        yield make


async def serious_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    return await page.evaluate(RUN_AXE)


async def assert_clean(page: Page, where: str) -> None:
    found = await serious_violations(page)
    assert not found, f"{where}: " + "\n".join(f"{v['impact']} {v['id']}: {v['help']} {v['nodes']}" for v in found)


async def test_h5_standard_and_elder(h, new_page):
    await h.reset_department("housing-fund")
    token = await h.user_token(name="王先生", channel="wechat")
    page = await new_page(375, 740, mobile=True)
    await page.goto(f"{h.base_url}/h5?token={token}&matter=housing-fund-withdrawal")
    await expect(page.locator(".msg--bot").first).to_be_visible()
    await assert_clean(page, "/h5 greeting")
    await page.fill("#input", "公积金提取需要哪些材料")
    await page.press("#input", "Enter")
    await expect(page.locator(".msg--bot")).to_have_count(2, timeout=20000)  # the bot's answer
    await assert_clean(page, "/h5 with the bot")
    await page.click("#handoff")
    await expect(page.locator("#status")).to_contain_text("排在第 1 位")
    await assert_clean(page, "/h5 queued")
    await page.click("#elder-toggle")
    await expect(page.locator("#record")).to_be_visible()
    await assert_clean(page, "/h5 elder queued")
    agent = await h.agent(["housing-fund"])
    assigned = await agent.wait_for("assigned")
    await expect(page.locator("#status")).to_contain_text("正在为您服务")
    await assert_clean(page, "/h5 elder with an agent")
    assert (await agent.call("close", {"conversation_id": assigned["conversation"]["id"], "resolved": True}))["ok"]
    await expect(page.locator("dialog[open]")).to_be_visible(timeout=15000)  # the rating sheet
    await assert_clean(page, "/h5 elder rating")


async def test_agent_pane_as_agent_and_supervisor(h, new_page):
    await h.reset_department("housing-fund")
    login = await new_page()
    await login.goto(f"{h.base_url}/agent")
    await expect(login.locator("#login-form")).to_be_visible()
    await assert_clean(login, "/agent login")
    for role in ("agent", "supervisor"):
        username, password = await h.make_staff(["housing-fund"], role=role, name="陈帮办")
        page = await new_page()
        await agent_login(page, h.base_url, username, password)
        await expect(page.locator("#presence")).to_have_value("online")
        await assert_clean(page, f"/agent {role}")
        user = await h.user()
        cid = await start_conversation(user, "公积金提取要多久到账", matter="housing-fund-withdrawal")
        assert (await user.call("handoff", {"conversation_id": cid}))["ok"]
        await page.locator(".conv").first.click(timeout=20000)
        await expect(page.locator("#messages")).to_contain_text("公积金提取要多久到账")
        await assert_clean(page, f"/agent {role} with a conversation")
        if role == "agent":
            for action in ("transfer", "escalate", "close"):  # the dialogs of the chat header
                await page.click(f"[data-action={action}]")
                await expect(page.locator("dialog[open]")).to_be_visible()
                await assert_clean(page, f"/agent {action} dialog")
                await page.keyboard.press("Escape")
                await expect(page.locator("dialog[open]")).to_have_count(0)
        if role == "supervisor":
            await page.click("#tab-supervise")
            await page.wait_for_timeout(500)
            await assert_clean(page, "/agent supervisor tab")


async def test_dashboard(h, new_page):
    username, password = await h.make_staff(["housing-fund"], role="supervisor", name="赵班长")
    page = await new_page()
    await agent_login(page, h.base_url, username, password, path="/dashboard")
    await page.wait_for_timeout(1000)  # the first figures are in
    await assert_clean(page, "/dashboard")


async def test_trainer_every_tab(h, new_page):
    username, password = await h.make_staff([], "trainer", name="测试训练师")
    page = await new_page(1400, 950)
    await agent_login(page, h.base_url, username, password, path="/trainer")
    await assert_clean(page, "/trainer login done")
    for tab in await page.locator("#tabs button[data-tab]").evaluate_all("els => els.map(e => e.dataset.tab)"):
        await page.click(f"#tabs button[data-tab={tab}]")
        await page.wait_for_timeout(400)
        await assert_clean(page, f"/trainer {tab}")

"""The supervisor dashboard shows the figures of the KPI API."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from tests.browser.conftest import agent_login, screenshot

pytestmark = pytest.mark.browser
DEPARTMENT = "housing-fund"


def pick(data: dict, path: str):
    for key in path.split("."):
        data = data[key]
    return data


async def test_dashboard_matches_kpi_api(h, new_page):
    username, password = await h.make_staff([DEPARTMENT], role="supervisor", name="赵班长")
    colleague = await h.agent([DEPARTMENT])
    page = await new_page(1440, 1100)
    await agent_login(page, h.base_url, username, password, path="/dashboard")
    cards = page.locator("#cards .card[data-kpi]")
    await expect(cards).to_have_count(8)
    await expect(page.locator("#kpis")).not_to_have_attribute("data-query", "")
    await expect(page.locator(f"#agents tr[data-agent='{colleague.username}']")).to_contain_text("在线")

    token = await h.staff_token(username, password)
    for attempt in range(3):  # live figures may move between the page's fetch and ours
        query = await page.locator("#kpis").get_attribute("data-query")
        status, kpis = await h.http("GET", f"/api/v1/kpis?{query}", token=token)
        assert status == 200, kpis
        shown = {await c.get_attribute("data-kpi"): json.loads(await c.get_attribute("data-raw"))
                 for c in await cards.all()}
        if all(shown[k] == pick(kpis, k) for k in shown) or attempt == 2:
            break
        await page.wait_for_timeout(11000)
    assert shown == {k: pick(kpis, k) for k in shown}
    assert f"department={DEPARTMENT}" in query
    total = page.locator("#cards .card[data-kpi=conversations] .card__value")
    await expect(total).to_have_text(str(kpis["conversations"]))
    matters = page.locator("#chart-matters svg text.val")
    assert await matters.count() == min(12, len(kpis["by_matter"]))
    await screenshot(page, "dashboard")

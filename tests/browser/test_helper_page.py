"""`/helper` at 375 px: a volunteer searches the KB, logs a problem with a photo and follows it; a supervisor
sees it in the dashboard's offline-help section (a system of its own: one bridge, no Rasa)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Locator, Page, expect

from bridge.admin import create_agent
from core.workcal import SHANGHAI, add_workdays
from ops.system import System
from tests.browser.conftest import agent_login, screenshot
from tests.integration.systems import MultiHarness, open_harness, own_system
from tests.support import STAFF_PASSWORD
from tests.unit.media_samples import png_bytes

pytestmark = pytest.mark.browser
HALL, MATTER, DEP = "徐汇区行政服务中心", "residence-permit", "public-security"


@pytest.fixture(scope="module")
def helper_system() -> Iterator[System]:
    yield from own_system("helperpage", bridges=1)


@pytest.fixture
async def hh(helper_system: System) -> AsyncIterator[MultiHarness]:
    async for h in open_harness(helper_system):
        yield h


async def loaded(page: Page, img: Locator) -> None:
    """Wait for an image shown through a signed link (no wait_for_function: the CSP forbids eval)."""
    for _ in range(100):
        if await img.evaluate("i => i.naturalWidth") > 0:
            return
        await page.wait_for_timeout(100)
    assert await img.evaluate("i => i.naturalWidth") > 0


async def test_volunteer_logs_a_problem_with_a_photo_at_375px_and_a_supervisor_sees_it(hh: MultiHarness, new_page):
    await create_agent(hh.store, "vol-page", STAFF_PASSWORD, "陈帮办", [], "volunteer", hall=HALL)
    page = await new_page(375, 812, mobile=True)
    await agent_login(page, hh.base_url, "vol-page", STAFF_PASSWORD, path="/helper")
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(page.locator("#me")).to_contain_text(f"陈帮办 · 帮办员 · {HALL}")
    assert float(await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")) >= 18
    for selector in (".hp-tab", "#kb-form button"):
        box = await page.locator(selector).first.bounding_box()
        assert box and box["height"] >= 48, selector

    # search the KB and open an article
    await page.fill("#kb-q", "居住证怎么办理")
    await page.click("#kb-form button[type=submit]")
    first = page.locator("#kb-results .hp-item").first
    await expect(first).to_be_visible(timeout=30000)  # the first search builds the index
    title = (await first.locator("strong").inner_text()).strip()
    await first.click()
    await expect(page.locator("#kb-article")).to_be_visible()
    await expect(page.locator("#kb-article h2")).to_have_text(title)

    # log a problem with a photo and the citizen's consent
    await page.click(".hp-tab[data-tab=report]")
    await page.select_option("#r-matter", MATTER)
    await page.fill("#r-problem", "窗口要求提供纸质居住证明，网上办事指南没有写")
    await page.fill("#r-window", "5号窗口")
    await page.set_input_files("#r-file", files=[{"name": "现场.png", "mimeType": "image/png",
                                                  "buffer": png_bytes((320, 240))}])
    photo = page.locator("#r-photos img")
    await expect(photo).to_have_count(1)
    await loaded(page, photo)
    await page.check("#r-consent")
    await page.fill("#r-contact", "13812345678")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await screenshot(page, "helper-report-375")
    await page.click("#r-submit")

    # it shows up among the volunteer's own items, as 挂账 with the ledger's deadline
    item = page.locator("#mine-list .hp-item").first
    await expect(item).to_be_visible()
    await expect(item).to_contain_text("挂账")
    deadline = add_workdays(dt.datetime.now(SHANGHAI).date(), 10).isoformat()
    await expect(item).to_contain_text(deadline)
    await item.click()
    await expect(page.locator("#mine-detail")).to_contain_text("138****5678")
    await loaded(page, page.locator("#mine-detail img[data-media]"))
    await screenshot(page, "helper-item-375")
    entry = await hh.store.ledger.find_one({"created_by.id": "vol-page"})
    assert entry["source"] == "offline" and len(entry["photos"]) == 1 and entry["department"] == DEP
    assert entry["found_by"] == {"id": "vol-page", "role": "volunteer", "name": "陈帮办", "hall": HALL, "window": ""}
    assert (entry["hall"], entry["window"], entry["deadline"]) == (HALL, "5号窗口", deadline)

    # a supervisor of the matter's department sees it in the dashboard, by hall and matter
    sup, password = await hh.make_staff([DEP], role="supervisor", name="周班长")
    board = await new_page(1440, 1100)
    await agent_login(board, hh.base_url, sup, password, path="/dashboard")
    await expect(board.locator(f"#offline table[data-group=hall] tr[data-key='{HALL}']")).to_contain_text("1")
    await expect(board.locator(f"#offline table[data-group=matter] tr[data-key='{MATTER}']")).to_be_visible()
    await expect(board.locator(f"#offline li[data-entry='{entry['_id']}']")).to_contain_text("5号窗口")
    await loaded(board, board.locator(f"#offline li[data-entry='{entry['_id']}'] img[data-media]"))
    await board.locator("#offline-panel").scroll_into_view_if_needed()
    await screenshot(board, "dashboard-offline")

"""The user page out of help hours, in 长者模式: the one promise (a left message and when the reply comes),
never a queue position or a wait. A system of its own whose help hours never open."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import expect

from ops.system import System
from tests.integration.systems import MultiHarness, open_harness, own_system

pytestmark = pytest.mark.browser
CLOSED = {"default": {"start": "00:00", "end": "00:00"}}


@pytest.fixture(scope="module")
def closed_system() -> Iterator[System]:
    yield from own_system("h5-closed", bridges=1, HELP_HOURS=json.dumps(CLOSED))


@pytest.fixture
async def ch(closed_system: System) -> AsyncIterator[MultiHarness]:
    async for h in open_harness(closed_system):
        yield h


async def test_out_of_hours_the_page_shows_only_the_left_message(ch: MultiHarness, new_page):
    token = await ch.user_token(name="钱阿婆", channel="app")
    page = await new_page(375, 740, mobile=True)
    await page.goto(f"{ch.base_url}/h5?token={token}&matter=elderly-allowance&elder=1")
    await page.fill("#input", "老年综合津贴怎么申请")
    await page.press("#input", "Enter")
    await expect(page.locator("#handoff")).to_be_enabled()
    await page.click("#handoff")
    notice = page.locator(".msg__system-text", has_text="非人工服务时间")
    await expect(notice).to_have_count(1)
    await expect(notice).to_contain_text("后尽快回复您")
    await expect(page.locator("#status")).to_contain_text("已为您留言，帮办人员将于")
    await page.wait_for_timeout(1500)  # queue refreshes have gone out
    await expect(page.locator("#status")).not_to_contain_text("排在")
    await expect(page.locator("body")).not_to_contain_text("预计等待")

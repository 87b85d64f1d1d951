"""Trainer console in a real browser: edit an NLU example, train and reload, the live model knows the phrasing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from tests.browser.conftest import train_and_go_live

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
OLD, NEW = "找个懂的人问问", "喊个管事的来"  # the live model reads NEW as nlu_fallback before training


@pytest.mark.timeout(900)
async def test_trainer_edits_example_trains_and_live_model_understands(h):
    username, password = await h.make_staff([], "trainer", name="测试训练师")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 950})
        try:
            await page.goto(f"{h.base_url}/trainer")
            await page.fill("input[name=username]", username)
            await page.fill("input[name=password]", password)
            await page.click("button[type=submit]")
            await page.click("#nlu-items li[data-name=request_human]")
            row = page.locator(f'#nlu-detail li[data-example="{OLD}"]')
            await row.get_by_role("button", name="编辑").click()
            await row.locator("input").fill(NEW)
            await row.get_by_role("button", name="保存").click()
            await expect(page.locator(f'#nlu-detail li[data-example="{NEW}"]')).to_be_visible(timeout=120_000)
            await expect(page.locator(f'#nlu-detail li[data-example="{OLD}"]')).to_have_count(0)
            scope = (Path(os.environ["BANGBAN_TRAINER_ROOT"]) / "data/nlu/scope.yml").read_text(encoding="utf-8")
            assert f"    - {NEW}\n" in scope and OLD not in scope

            await train_and_go_live(page)

            await page.fill("#try-text", NEW)
            await page.click("#try-btn")
            await expect(page.locator("#try-intent")).to_have_text("request_human", timeout=30_000)
            await page.locator("#try-result").scroll_into_view_if_needed()
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "trainer.png"), full_page=True)
        finally:
            await browser.close()

    # the running Rasa server itself now answers with the new model
    token = await h.staff_token(username)
    status, body = await h.http("POST", "/api/v1/trainer/parse", token=token, json={"text": NEW})
    assert status == 200 and body["intent"]["name"] == "request_human" and body["model"].startswith("trainer-")

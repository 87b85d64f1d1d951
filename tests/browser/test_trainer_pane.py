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
# the live model reads NEW as chitchat before training. An edit of `thanks`: any change of the request_human
# examples moves a go-live question that sits near that intent, and the go-live check then refuses the model
INTENT, OLD, NEW = "thanks", "感恩", "小申你真给力"


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
            await page.click(f"#nlu-items li[data-name={INTENT}]")
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
            await expect(page.locator("#try-intent")).to_have_text(INTENT, timeout=30_000)
            await page.locator("#try-result").scroll_into_view_if_needed()
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "trainer.png"), full_page=True)
        finally:
            await browser.close()

    # the running Rasa server itself now answers with the new model
    token = await h.staff_token(username)
    status, body = await h.http("POST", "/api/v1/trainer/parse", token=token, json={"text": NEW})
    assert status == 200 and body["intent"]["name"] == INTENT and body["model"].startswith("trainer-")

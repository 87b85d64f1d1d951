"""The user page on narrow phones and in 长者模式: a header whose parts never overlap at 320–414 px,
elder mode's large type (computed), its plain words, fewer buttons, voice first, and that it is remembered."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
MATTER = "housing-fund-withdrawal"
HEADER_PARTS = """() => [...document.querySelectorAll(
    '.h5-head .h5-avatar, .h5-head h1, .h5-head #head-sub, .h5-head button')]
  .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map((e) => { const r = e.getBoundingClientRect();
    return { name: e.id || e.dataset.call || e.className || e.tagName, x: r.left, y: r.top, r: r.right, b: r.bottom,
             clipped: e.scrollWidth > e.clientWidth + 1 }; })"""
# computed font sizes (px) of the page's reading text and controls
TEXT_SIZES = """() => Object.fromEntries([
    ['bubble', '.msg__bubble'], ['system notice', '.msg__system-text'], ['input', '#input'], ['record', '#record'],
    ['handoff', '#handoff'], ['status', '#status'], ['subtitle', '#head-sub'], ['quick button', '.chip'],
    ['body', 'body']]
  .filter(([, sel]) => document.querySelector(sel))
  .map(([k, sel]) => [k, parseFloat(getComputedStyle(document.querySelector(sel)).fontSize)]))"""


def overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["r"] - 0.5 and b["x"] < a["r"] - 0.5 and a["y"] < b["b"] - 0.5 and b["y"] < a["b"] - 0.5


async def user_page(h, new_page, width: int, query: str = "") -> Page:
    """The user page at `width` in a conversation with the bot (all header buttons shown)."""
    token = await h.user_token(name="李阿姨", channel="app")
    page = await new_page(width, 740, mobile=True)
    await page.goto(f"{h.base_url}/h5?token={token}&matter={MATTER}{query}")
    await page.fill("#input", "公积金怎么提取")
    await page.press("#input", "Enter")
    await expect(page.locator(".msg--user[data-seq='1']")).to_be_visible()
    await expect(page.locator("#end")).to_be_visible()
    await expect(page.locator("[data-call=audio]")).to_be_visible()
    return page


async def assert_header_clear(page: Page, width: int, elder: bool) -> None:
    parts = await page.evaluate(HEADER_PARTS)
    names = {p["name"] for p in parts}
    assert {"handoff", "end", "elder-toggle", "audio", "head-sub"} <= names, names
    assert ("video" in names) is not elder  # elder mode: fewer buttons
    for i, a in enumerate(parts):
        assert 0 <= a["x"] and a["r"] <= width + 0.5, (width, a)
        for b in parts[i + 1:]:
            assert not overlap(a, b), (width, a, b)
    title = next(p for p in parts if p["name"] == "H1")
    assert not title["clipped"], title  # "智能客服小申" shown whole
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [320, 375, 414])
async def test_header_parts_never_overlap(h, new_page, width: int):
    page = await user_page(h, new_page, width)
    await assert_header_clear(page, width, elder=False)
    await screenshot(page, f"h5-header-{width}")
    sizes = await page.evaluate(TEXT_SIZES)
    assert sizes["bubble"] == 15 and sizes["body"] == 15  # rem of a 16 px root
    await page.click("#elder-toggle")
    await expect(page.locator("html")).to_have_class("elder")
    await assert_header_clear(page, width, elder=True)
    if width == 375:
        await screenshot(page, "h5-elder")


async def test_elder_mode_large_plain_voice_first_and_remembered(h, new_page):
    page = await user_page(h, new_page, 375, "&elder=1")
    await expect(page.locator("#elder-toggle")).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#handoff")).to_have_text("找人工客服")
    await expect(page.locator("#record")).to_be_visible()  # voice first once the conversation exists
    await expect(page.locator("#record")).to_have_text("点一下，开始说话")
    await expect(page.locator("#pick-image")).to_be_hidden()
    await expect(page.locator("#send")).to_be_hidden()  # the record button sends
    sizes = await page.evaluate(TEXT_SIZES)
    assert {"bubble", "input", "record", "handoff", "quick button"} <= sizes.keys(), sizes
    small = {k: v for k, v in sizes.items() if v < 18}
    assert not small, sizes
    await page.click("#voice-toggle")  # typing is one tap away
    await expect(page.locator("#input")).to_be_visible()
    await expect(page.locator("#send")).to_be_visible()
    assert await page.evaluate("parseFloat(getComputedStyle(document.querySelector('#input')).fontSize)") >= 18
    # remembered without the parameter, and switched back from the page
    await page.goto(page.url.replace("&elder=1", ""))
    await expect(page.locator("html")).to_have_class("elder")
    await page.click("#elder-toggle")
    await expect(page.locator("#handoff")).to_have_text("转人工")
    await page.reload()
    await expect(page.locator("#elder-toggle")).to_have_attribute("aria-pressed", "false")
    await expect(page.locator("html")).not_to_have_class("elder")


async def test_elder_voice_button_before_a_conversation_says_what_to_do(h, new_page):
    token = await h.user_token(name="赵老伯", channel="app")
    page = await new_page(375, 740, mobile=True)
    await page.goto(f"{h.base_url}/h5?token={token}&elder=1")
    await expect(page.locator("#voice-toggle")).to_be_visible()
    await page.click("#voice-toggle")  # voice messages need a conversation: plain words say how to start one
    await expect(page.locator(".toast")).to_contain_text("之后就可以按话筒说话了")
    await expect(page.locator("#input")).to_be_visible()

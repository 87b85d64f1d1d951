"""Browser fixtures: Debian's Chromium driven by Playwright (async API, the tests' event loop)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]
HAVE_CHROMIUM = Path(CHROMIUM).exists()
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.browser


@contextlib.asynccontextmanager
async def launched(args: list[str]) -> AsyncIterator[Browser]:
    """Debian's Chromium with `args`; a missing browser fails the test (./bangban test installs it)."""
    if not HAVE_CHROMIUM:
        pytest.fail("Chromium is not installed (apt-get install chromium)")
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield b
        finally:
            await b.close()


@contextlib.asynccontextmanager
async def page_factory(browser: Browser, **context_options: Any) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    """Open pages in fresh contexts (own storage); JavaScript errors on any page fail the test."""
    contexts = []
    errors: list[str] = []

    async def make(width: int = 1440, height: int = 900, mobile: bool = False) -> Page:
        ctx = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                        timezone_id="Asia/Shanghai", is_mobile=mobile, has_touch=mobile,
                                        device_scale_factor=2 if mobile else 1, **context_options)
        contexts.append(ctx)
        page = await ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for ctx in contexts:
        await ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched(ARGS) as b:
        yield b


@pytest.fixture
async def new_page(browser: Browser):
    async with page_factory(browser) as make:
        yield make


async def screenshot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


async def agent_login(page: Page, base_url: str, username: str, password: str, path: str = "/agent") -> None:
    await page.goto(f"{base_url}{path}")
    await page.fill("#login-form [name=username]", username)
    await page.fill("#login-form [name=password]", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#app:not([hidden])", timeout=20000)


async def train_and_go_live(page: Page) -> None:
    """Start 训练上线 in the trainer console and wait until the new model is live (its evaluation passed)."""
    await page.click("#tabs button[data-tab=train]")
    await page.click("#train-start")
    status = page.locator("#train-status")
    # the tab first shows the last job (another test's may be done already): wait for this one to run
    await expect(status).to_have_attribute("data-status", "running", timeout=30_000)
    await expect(status).to_have_attribute("data-status", "done", timeout=600_000)
    await expect(page.locator("#train-eval")).to_contain_text("通过")

"""Every tab of every pane opens cleanly: no 5xx answer, no uncaught page error, no console error.

The trainer console's tabs are found in the page (so tabs added later are opened too); the agent pane
is opened as an agent and as a supervisor (every visible tab), then the dashboard and the citizen's H5.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import agent_login, screenshot
from tests.support import start_conversation

pytestmark = pytest.mark.browser
DEPARTMENT = "housing-fund"


class Watch:
    """What went wrong on the watched pages: 5xx answers, page errors, console errors, error toasts."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def page(self, page: Page, label: str) -> Page:
        page.on("response", lambda r: r.status >= 500 and self.problems.append(f"{label}: {r.status} {r.url}"))
        page.on("pageerror", lambda exc: self.problems.append(f"{label}: page error {exc}"))
        page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"{label}: console {m.text} ({m.location.get('url')})"))
        return page

    async def settle(self, page: Page, label: str) -> None:
        """Let the view's requests finish; an error toast counts as a problem too."""
        await page.wait_for_load_state("networkidle")
        for text in await page.locator(".toast--error").all_inner_texts():
            self.problems.append(f"{label}: error toast {text}")


async def open_tabs(page: Page, watch: Watch, label: str, selector: str,
                    opened: Callable[[str], str] | None = None) -> list[str]:
    """Click every visible tab button matching `selector`; the names of the tabs opened."""
    names = []
    for button in await page.locator(selector).all():
        if not await button.is_visible():
            continue
        name = await button.get_attribute("data-tab") or await button.inner_text()
        await button.click()
        if opened:
            await expect(page.locator(opened(name)).first).to_be_visible()
        await watch.settle(page, f"{label} tab {name}")
        names.append(name)
    return names


async def test_every_tab_of_every_pane_opens_without_errors(h, new_page):
    watch = Watch()
    await h.reset_department(DEPARTMENT)
    user = await h.user()
    cid = await start_conversation(user, "公积金提取要带什么材料")
    await user.wait_for("message", timeout=20, conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")

    trainer_name, trainer_pw = await h.make_staff([], "trainer", name="巡检训练师")
    page = watch.page(await new_page(), "trainer")
    await agent_login(page, h.base_url, trainer_name, trainer_pw, path="/trainer")
    tabs = await open_tabs(page, watch, "trainer", "#tabs button[data-tab]",
                           lambda n: f"#view[data-tab='{n}'] > *")
    assert {"nlu", "files", "kb", "matters", "train", "unanswered", "drafts", "ledger", "history",
            "review"} <= set(tabs)
    await page.click("#tabs button[data-tab=review]")
    await expect(page.locator(f"#review-list li[data-id='{cid}']")).to_be_visible()
    await page.click(f"#review-list li[data-id='{cid}']")
    await expect(page.locator(".rv-turn[data-seq='1'] [data-field=matter]")).to_be_visible()
    await page.click("#tabs button[data-tab=kb]")
    await page.click("#kb-modes button[data-mode=verified]")  # the KB by verified date, oldest first
    await expect(page.locator("#kb-verified tr[data-article]").first).to_be_visible()
    await watch.settle(page, "trainer review and KB by date")

    for role, name in (("agent", "巡检帮办"), ("supervisor", "巡检班长")):
        username, password = await h.make_staff([DEPARTMENT], role, name=name)
        page = watch.page(await new_page(), role)
        await agent_login(page, h.base_url, username, password)
        tabs = await open_tabs(page, watch, role, "#tabs button[data-tab]")
        assert tabs == (["desk", "supervise"] if role == "supervisor" else ["desk"])
        if role == "supervisor":
            page = watch.page(await new_page(), "dashboard")
            await agent_login(page, h.base_url, username, password, path="/dashboard")
            await expect(page.locator("#cards .card[data-kpi]").first).to_be_visible()
            await expect(page.locator("#rectify #rectify-overdue")).to_be_attached()  # 差评核实整改
            await watch.settle(page, "dashboard")

    page = watch.page(await new_page(375, 740, mobile=True), "h5")
    await page.goto(f"{h.base_url}/h5?token={await h.user_token(name='巡检市民')}")
    await page.fill("#input", "公积金提取需要准备哪些材料？")
    await page.press("#input", "Enter")
    await expect(page.locator(".msg--bot").nth(1)).to_be_visible(timeout=20_000)
    await watch.settle(page, "h5")
    await screenshot(page, "every-tab-h5")
    assert not watch.problems, "\n".join(watch.problems)

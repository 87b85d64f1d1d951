"""The dashboard's 差评核实整改 section: an overdue item with its badge, claimed, recorded and closed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from playwright.async_api import expect

from core.clock import now
from tests.browser.conftest import agent_login

pytestmark = pytest.mark.browser
DEPARTMENT = "civil-affairs"


async def test_supervisor_works_an_overdue_rectification_to_closed(h, new_page):
    username, password = await h.make_staff([DEPARTMENT], role="supervisor", name="孙班长")
    rid = f"ZG-{uuid.uuid4().hex[:8]}"
    await h.store.rectifications.insert_one({  # what a 非常不满意 rating left 16 working days ago
        "_id": rid, "conversation_id": f"c-{uuid.uuid4().hex[:8]}", "target": "agent", "level": 1,
        "text": "答复不清楚", "department": DEPARTMENT, "matter": "marriage-registration", "channel": "app",
        "opened_at": now() - dt.timedelta(days=25), "deadline": "2026-01-05", "status": "open"})
    page = await new_page(1440, 1100)
    await agent_login(page, h.base_url, username, password, path="/dashboard")
    row = page.locator(f"#rectify-items li[data-id='{rid}']")
    await expect(row).to_contain_text("非常不满意")
    await expect(row).to_contain_text("已超期")
    await expect(page.locator("#rectify-badge")).to_be_visible()
    await page.check("#rectify-overdue")
    await expect(page.locator(f"#rectify-items li[data-id='{rid}']")).to_be_visible()
    await row.get_by_role("button", name=f"认领整改 {rid}").click()
    row = page.locator(f"#rectify-items li[data-id='{rid}'][data-status=claimed]")
    await row.get_by_label("核实情况").fill("经核实，答复遗漏了预约方式。")
    await row.get_by_label("整改结果").fill("已补充预约方式并培训帮办人员。")
    await row.get_by_role("button", name="保存").click()
    await expect(page.locator(f"#rectify-items li[data-id='{rid}'] textarea[aria-label='整改结果']")).to_have_value(
        "已补充预约方式并培训帮办人员。")
    await page.locator(f"#rectify-items li[data-id='{rid}']").get_by_role("button", name="办结").click()
    await expect(page.locator(f"#rectify-items li[data-id='{rid}']")).to_have_count(0)
    item = await h.store.rectifications.find_one({"_id": rid})
    assert item["status"] == "closed" and item["result"] == "已补充预约方式并培训帮办人员。"
    assert item["citizen"] == {"state": "not_reachable"}  # no conversation to reach the citizen through

"""The supervisor dashboard's notification section: outbox counts and a dead letter sent again."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import expect

from core.clock import now
from tests.browser.conftest import agent_login

pytestmark = pytest.mark.browser
DEPARTMENT = "housing-fund"


async def test_supervisor_sees_the_outbox_and_retries_a_dead_letter(h, new_page):
    username, password = await h.make_staff([DEPARTMENT], role="supervisor", name="钱班长")
    item_id = f"c-{uuid.uuid4().hex[:8]}:reply:3"
    t = now()
    await h.store.notify_outbox.insert_one({  # what the outbox leaves after its last failed attempt
        "_id": item_id, "conversation_id": item_id.split(":")[0], "user": f"u-{uuid.uuid4().hex[:8]}",
        "department": DEPARTMENT, "kind": "reply", "provider": "push", "to": "nobody", "template_id": "",
        "data": {}, "title": "帮办人员回复了您", "text": "测试", "page": "", "count": 1, "created_at": t,
        "state": "dead", "attempts": 6, "next_try": t, "last_error": "HTTP 503", "admitted": False})
    page = await new_page(1440, 1100)
    await agent_login(page, h.base_url, username, password, path="/dashboard")
    dead = page.locator(f"#notify-dead li[data-id='{item_id}']")
    await expect(dead).to_contain_text("随申办推送")
    await expect(dead).to_contain_text("HTTP 503")
    push_row = page.locator("#notify-counts tr[data-provider=push]")
    await expect(push_row).to_be_visible()
    await dead.get_by_role("button", name=f"重新发送通知 {item_id}").click()
    await expect(page.locator(f"#notify-dead li[data-id='{item_id}']")).to_have_count(0)
    item = await h.store.notify_outbox.find_one({"_id": item_id})
    assert item["state"] != "dead" and item["attempts"] <= 1

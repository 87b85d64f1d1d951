"""A call from the call-centre stand-in through the desk: routed, answered in the agent pane with the call card
and the caller's history, a KB answer read to the caller, closed with an outcome, counted on the dashboard."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from playwright.async_api import expect

from ops.system import System
from tests.browser.conftest import agent_login, screenshot
from tests.integration.systems import MultiHarness, open_harness, own_system
from tests.support import STAFF_PASSWORD, start_conversation

pytestmark = pytest.mark.browser
LINE, IVR, DEPARTMENT = "12345", "9", "hotline-12345"  # data/catalogue/routing.yml: 12345, key 9, around the clock


@pytest.fixture(scope="module")
def phone_system() -> Iterator[System]:
    yield from own_system("phone", bridges=1)


@pytest.fixture
async def ph(phone_system: System) -> AsyncIterator[MultiHarness]:
    async for h in open_harness(phone_system):
        yield h


async def verified_citizen(ph: MultiHarness, number: str) -> str:
    """A citizen whose portal token vouches for `number`, with one earlier online conversation; its id."""
    status, data = await ph.http("POST", "/api/v1/dev/user-token",
                                 json={"sub": f"u-{uuid.uuid4().hex[:8]}", "name": "李四", "phone": number})
    assert status == 200, data
    citizen = await ph.connect("/user", data["token"])
    return await start_conversation(citizen, "公积金提取需要哪些材料", matter="housing-fund-withdrawal")


async def test_a_fake_call_is_served_in_the_agent_pane_and_counted(ph: MultiHarness, new_page):
    number = f"136{uuid.uuid4().int % 10**8:08d}"
    earlier = await verified_citizen(ph, number)
    username, _ = await ph.make_staff([DEPARTMENT], name="周坐席")
    agent = await new_page(1440, 1000)
    await agent_login(agent, ph.base_url, username, STAFF_PASSWORD)
    await expect(agent.locator("#presence")).to_have_value("online")

    # the stand-in's page places the call: rings, then the agent picks up
    phone = await new_page(900, 900)
    await phone.goto(f"{ph.system.cti_url}/")
    await phone.select_option("[name=line]", LINE)
    await phone.fill("[name=ivr]", IVR)
    await phone.fill("[name=caller]", number)
    await phone.fill("[name=staff_id]", username)
    await phone.fill("[name=ring_s]", "1")
    await phone.click("#place")
    await expect(phone.locator("#result")).to_contain_text('"accepted": true')
    placed = json.loads(await phone.locator("#result").text_content())
    cid, call_id = placed["answer"]["conversation_id"], placed["call_id"]
    conv = await ph.store.conversations.find_one({"_id": cid})
    assert conv["channel"] == "phone" and conv["department"] == DEPARTMENT

    # the call card: whole number for the assigned agent, the line, the caller's earlier online conversation
    await expect(agent.locator(f"#conv-list li[data-id='{cid}']")).to_be_visible(timeout=20000)
    await agent.click(f"#conv-list li[data-id='{cid}']")
    card = agent.locator("#call-card")
    await expect(card).to_be_visible()
    await expect(agent.locator("#call-caller")).to_have_text(number)
    await expect(agent.locator("#call-state")).to_have_text("通话中")
    await expect(card).to_contain_text("12345市民服务热线")
    await expect(card.locator(".callcard__history li")).to_have_count(1)
    await expect(card.locator(".callcard__history")).to_contain_text("住房公积金提取")
    await expect(agent.locator(f"#conv-list li[data-id='{cid}']")).not_to_contain_text(number)

    # a KB answer read to the caller is noted on the call, not sent to anyone
    await agent.fill("#kb-q", "公积金提取材料")
    first = agent.locator("#kb-results .kb-item").first
    await expect(first).to_be_visible(timeout=15000)
    await first.locator("button").click()
    await expect(card.locator(".callcard__notes")).to_contain_text("已读给来电人")
    await expect(agent.locator("#input")).to_have_value("")

    # the caller hangs up; the agent writes the summary and closes with the outcome
    async with aiohttp.ClientSession() as s, s.post(f"{ph.system.cti_url}/calls/{call_id}/ended", json={}) as r:
        assert r.status == 200 and (await r.json())["status"] == 200
    await expect(agent.locator("#call-state")).to_have_text("已挂断")
    await card.locator("textarea").fill("来电咨询公积金提取材料，已告知所需证件。")
    await card.locator("button", has_text="保存小结").click()
    await expect(card.locator(".callcard__notes")).to_contain_text("通话小结")
    await screenshot(agent, "agent-phone-call")
    await agent.click(".chat__actions [data-action=close]")
    await agent.get_by_role("button", name="结束并邀请评价").click()
    await expect(agent.locator(f"#conv-list li[data-id='{cid}']")).to_have_count(0)
    closed = await ph.store.conversations.find_one({"_id": cid})
    assert closed["state"] == "closed" and closed["resolved"] is True
    assert [n["kind"] for n in closed["phone_notes"]] == ["kb", "summary"]
    assert earlier != cid

    # the supervisor's dashboard counts the call in the phone channel's figures
    sup, _ = await ph.make_staff([DEPARTMENT], role="supervisor", name="钱班长")
    dash = await new_page(1440, 1300)
    await agent_login(dash, ph.base_url, sup, STAFF_PASSWORD, path="/dashboard")
    phone_row = dash.locator("#channel-table tr[data-channel=phone]")
    await expect(phone_row).to_be_visible(timeout=20000)
    query = await dash.locator("#kpis").get_attribute("data-query")
    status, kpis = await ph.http("GET", f"/api/v1/kpis?{query}", token=await ph.staff_token(sup))
    figures = kpis["channels"]["phone"]
    assert status == 200 and figures["answered"] >= 1 and figures["resolved"] >= 1
    await expect(phone_row.locator("td[data-kpi=answered]")).to_have_text(str(figures["answered"]))
    await expect(dash.locator("#help-hours")).to_contain_text("电话热线 每天 00:00-24:00")
    await screenshot(dash, "dashboard-channels")

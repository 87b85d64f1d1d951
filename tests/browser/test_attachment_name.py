"""The agent pane shows the file name of a user's attachment (media documents store `filename`, the wire `name`)."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import expect

from tests.browser.conftest import agent_login
from tests.support import cmid, start_conversation
from tests.unit.media_samples import minimal_pdf

pytestmark = pytest.mark.browser
MATTER = "housing-fund-withdrawal"
DEPARTMENT = "housing-fund"


async def test_agent_pane_shows_the_attachment_file_name(h, new_page):
    await h.reset_department(DEPARTMENT)
    username, password = await h.make_staff([DEPARTMENT], name="李娜")
    page = await new_page()
    await agent_login(page, h.base_url, username, password)
    await expect(page.locator("#presence")).to_have_value("online")

    user = await h.user(name="赵女士")
    cid = await start_conversation(user, "公积金提取材料", matter=MATTER)
    assert (await user.call("handoff", {"conversation_id": cid}))["state"] == "with_agent"
    form = aiohttp.FormData(quote_fields=False)  # raw UTF-8 file name, as browsers send it
    form.add_field("conversation_id", cid)
    form.add_field("file", minimal_pdf(), filename="材料清单.pdf", content_type="application/pdf")
    status, media = await h.http("POST", "/api/v1/media", token=user.token, data=form)
    assert status == 201, media
    ack = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "file",
                                      "media_id": media["media_id"]})
    assert ack["ok"], ack

    conv = page.locator(".conv").first
    await expect(conv).to_contain_text("赵女士", timeout=20000)
    await conv.click()
    await expect(page.locator(f"#messages .msg[data-seq='{ack['seq']}']")).to_contain_text("材料清单.pdf")

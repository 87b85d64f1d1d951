"""Co-browse form sharing in the browser: the H5 page shares a form, the agent pane shows its fields as the
citizen sees them (sensitive ones masked), the agent types a suggestion next to a field and sends it, the
suggestion arrives on the H5 page, the citizen takes it, and the pane shows that per field."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_a11y import assert_clean, new_page  # noqa: F401  (pages that can run axe-core)
from tests.browser.test_agent_and_h5 import handed_off

pytestmark = pytest.mark.browser
FORM = {
    "form_id": "residence-permit", "title": "居住证办理申请", "page": "/forms/residence",
    "fields": [
        {"name": "name", "label": "姓名", "type": "text", "value": "张先生"},
        {"name": "idcard", "label": "身份证号", "type": "text", "value": "310101199001011234", "sensitive": True},
        {"name": "phone", "label": "联系电话", "type": "tel", "value": "13812345678"},
        {"name": "address", "label": "居住地址", "type": "text", "value": ""},
    ],
}
ADDRESS = "上海市黄浦区人民大道200号"


async def test_shared_form_suggestion_reaches_the_h5_page(h, new_page):  # noqa: F811
    agent, user = await handed_off(h, new_page, "周帮办", "张先生")
    await user.wait_for_function("window.BangbanPane && window.BangbanPane.cobrowse")
    ack = await user.evaluate("(form) => window.BangbanPane.cobrowse.shareForm(form)", FORM)
    assert ack["ok"], ack

    panel = agent.locator(".bb-cob")
    await expect(panel).to_be_visible()
    await expect(panel.locator(".bb-cob__status")).to_have_text("用户共享的表单")
    await expect(panel.locator(".bb-cob-form__title")).to_have_text("居住证办理申请")
    field = lambda name: panel.locator(f".bb-cob-form__field[data-name={name}]")  # noqa: E731
    await expect(field("name").locator(".bb-cob-form__value")).to_have_text("张先生")
    for sensitive in ("idcard", "phone"):
        value = await field(sensitive).locator(".bb-cob-form__value").text_content()
        assert "*" in value and not any(ch.isdigit() for ch in value), value
        await expect(field(sensitive).locator("input")).to_have_count(0)  # never suggested for
        await expect(field(sensitive)).to_contain_text("敏感信息，不可代填")
    await expect(field("address").locator(".bb-cob-form__value")).to_have_text("（未填写）")
    await assert_clean(agent, "/agent shared form")

    await agent.get_by_label("居住地址").fill(ADDRESS)
    await agent.get_by_label("建议说明").fill("按居住证上的地址填写")
    await panel.get_by_role("button", name="发送建议").click()
    await expect(panel.locator(".bb-cob-form__status")).to_have_text("已发送 1 项建议，等待用户确认")

    ask = user.locator(".bb-cob-bar--ask")
    await expect(ask).to_contain_text(f"居住地址：{ADDRESS}")
    await expect(ask).to_contain_text("按居住证上的地址填写")
    await ask.get_by_role("button", name="采用", exact=True).click()
    await expect(field("address").locator(".bb-cob-form__reply")).to_have_text("用户已采用")
    await expect(panel.locator(".bb-cob-form__status")).to_have_text("用户采用 1 项，未采用 0 项")
    await screenshot(agent, "cobrowse-form")

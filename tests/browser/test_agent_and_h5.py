"""The agent pane and the mobile user page together: handoff, reply, forbidden words, close, rating,
knowledge-base suggestions inserted into a reply."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.conftest import agent_login, screenshot

pytestmark = pytest.mark.browser
MATTER = "housing-fund-withdrawal"
DEPARTMENT = "housing-fund"
SENT = re.compile("^(已发送|已读)$")  # the user may read it at once


async def handed_off(h, new_page, agent_name: str, user_name: str):
    """An agent pane and a user page in one conversation with the agent: (agent page, user page)."""
    await h.reset_department(DEPARTMENT)
    username, password = await h.make_staff([DEPARTMENT], name=agent_name)
    agent = await new_page()
    await agent_login(agent, h.base_url, username, password)
    await expect(agent.locator("#presence")).to_have_value("online")

    token = await h.user_token(name=user_name, channel="wechat")
    user = await new_page(375, 740, mobile=True)
    await user.goto(f"{h.base_url}/h5?token={token}&matter={MATTER}")
    await expect(user.locator(".msg--bot").first).to_contain_text("小申")  # client-side greeting
    await user.fill("#input", "公积金提取需要准备哪些材料？")
    await user.press("#input", "Enter")
    await expect(user.locator(".msg--user[data-seq='1']")).to_contain_text("公积金提取")
    await expect(user.locator("#handoff")).to_be_enabled()
    await user.click("#handoff")

    # The agent gets the conversation with its history, the summary and the matter card.
    conv = agent.locator(".conv").first
    await expect(conv).to_contain_text(user_name, timeout=20000)
    await expect(conv).to_contain_text("微信小程序")
    await conv.click()
    await expect(agent.locator("#messages")).to_contain_text("公积金提取需要准备哪些材料？")
    await expect(agent.locator("#chat-context")).to_contain_text("住房公积金提取")
    await expect(user.locator("#status")).to_contain_text("正在为您服务")
    return agent, user


async def seqs(page, selector: str) -> list[int]:
    return [int(x) for x in await page.locator(f"{selector} .msg[data-seq]").evaluate_all(
        "els => els.map(e => e.dataset.seq).filter(Boolean)")]


async def test_handoff_reply_close_and_rating(h, new_page):
    agent, user = await handed_off(h, new_page, "王芳", "张先生")

    # A banned phrase is refused and named; nothing is sent.
    await agent.fill("#input", "这个不归我管")
    await agent.keyboard.press("Control+Enter")
    await expect(agent.locator("#composer-error")).to_contain_text("不归我管")
    await expect(agent.locator("#messages")).not_to_contain_text("这个不归我管")

    reply = "您好，提取住房公积金需要身份证和银行卡，可在随申办App上直接办理。"
    await agent.fill("#input", reply)
    await agent.keyboard.press("Control+Enter")
    await expect(agent.locator(".msg--agent .msg__status").last).to_have_text(SENT)
    await expect(user.locator(".msg--agent")).to_contain_text(reply)
    await expect(agent.locator(".conv .timer").first).to_have_text("已响应")
    await screenshot(agent, "agent")

    # Close as resolved: the user page asks for ratings of the bot and the agent.
    await agent.click("[data-action=close]")
    await agent.click("dialog button:has-text('结束并邀请评价')")
    await expect(agent.locator(".conv")).to_have_count(0)

    dialog = user.locator("dialog.dialog--sheet")
    await expect(dialog).to_be_visible(timeout=15000)
    await expect(dialog.locator(".rate__block")).to_have_count(2)
    for target, score in (("bot", 4), ("agent", 5)):
        block = dialog.locator(f".rate__block[data-target={target}]")
        await block.locator(f".rate__score[data-score='{score}']").click()
        await block.locator(".rate__choice[data-value=true]").click()
    await expect(dialog.locator(".rate__block[data-target=agent] .rate__caption")).to_have_text("非常满意")
    # the national 好差评 levels (score 3 is 基本满意, formerly 一般)
    await expect(dialog.locator(".rate__block[data-target=bot] .rate__score[data-score='3']")).to_have_attribute(
        "aria-label", "基本满意")
    await screenshot(user, "h5-rating")
    await dialog.locator("button:has-text('提交评价')").click()
    await expect(dialog).to_be_hidden()
    await expect(user.locator("#closed-bar")).to_be_visible()
    await screenshot(user, "h5")

    conv_id = await user.evaluate("JSON.parse(localStorage.getItem(Object.keys(localStorage).find("
                                  "k => k.startsWith('bangban.h5.chat.')))).conversationId")
    ratings = await h.store.ratings.find({"conversation_id": conv_id}).to_list(None)
    assert sorted((r["target"], r["score"], r["resolved"]) for r in ratings) == [("agent", 5, True), ("bot", 4, True)]


async def test_agent_pane_shows_markup_as_text(h, new_page):
    await h.reset_department(DEPARTMENT)
    username, password = await h.make_staff([DEPARTMENT], name="李娜")
    page = await new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    await agent_login(page, h.base_url, username, password)
    await expect(page.locator("#presence")).to_have_value("online")

    hostile_name = "<b onmouseover=alert(2)>王</b>"
    user = await h.user(name=hostile_name)
    img = "<img src=x onerror=alert(1)>"
    script = "<script>window.__pwned = 1; alert(3)</script>"
    ack = await user.call("message", {"client_msg_id": "xss-1", "type": "text", "text": img, "matter": MATTER})
    assert ack["ok"], ack
    cid = ack["conversation_id"]
    assert (await user.call("handoff", {"conversation_id": cid}))["ok"]
    await expect(page.locator(".conv").first).to_contain_text(hostile_name, timeout=20000)
    assert (await user.call("message", {"conversation_id": cid, "client_msg_id": "xss-2", "type": "text",
                                        "text": script}))["ok"]

    messages = page.locator("#messages")
    await expect(messages.locator(".msg__text", has_text=script)).to_have_count(1)
    await expect(messages.locator(".msg__text", has_text=img).first).to_be_visible()
    await expect(page.locator("#chat-user")).to_have_text(hostile_name)
    await page.wait_for_timeout(500)
    assert await page.locator("#messages img[src='x'], #messages script, .conv b").count() == 0
    assert await page.evaluate("window.__pwned") is None
    assert dialogs == []
    await screenshot(page, "agent-xss")


async def test_both_pages_resume_after_a_drop_without_loss_or_doubles(h, new_page):
    agent, user = await handed_off(h, new_page, "陈静", "刘女士")

    # The user's connection drops while the agent writes twice; on reconnect both arrive once.
    await user.evaluate("window.BangbanPane.socket.disconnect()")
    await expect(user.locator("#conn")).to_be_visible()
    for text in ("第一条回复：请准备身份证。", "第二条回复：还需要银行卡。"):
        await agent.fill("#input", text)
        await agent.click("#send")
        await expect(agent.locator(".msg--agent", has_text=text).locator(".msg__status")).to_have_text(SENT)
    await user.evaluate("window.BangbanPane.socket.connect()")
    await expect(user.locator("#conn")).to_be_hidden()
    for text in ("第一条回复", "第二条回复"):
        await expect(user.locator(".msg--agent", has_text=text)).to_have_count(1)

    # The agent's connection drops while the user writes; the pane resyncs on reconnect.
    await agent.evaluate("window.BangbanPane.socket.disconnect()")
    await user.fill("#input", "好的，我的银行卡是工商银行的可以吗？")
    await user.press("#input", "Enter")
    await expect(user.locator(".msg--user", has_text="工商银行").locator(".msg__status")).to_have_count(0)
    await agent.evaluate("window.BangbanPane.socket.connect()")
    await expect(agent.locator(".msg--user", has_text="工商银行")).to_have_count(1)

    # A reload of the user page resumes from localStorage and the server: each seq shown once.
    await user.reload()
    await expect(user.locator(".msg--user", has_text="工商银行")).to_have_count(1)
    for page, selector in ((user, "#messages"), (agent, "#messages")):
        shown = await seqs(page, selector)
        assert shown == sorted(set(shown)), shown
        assert shown == list(range(1, len(shown) + 1)), shown


def answer_text(result: dict) -> str:
    """What the pane inserts for a knowledge-base result: the answer, then the numbered steps."""
    steps = [s if isinstance(s, str) else s.get("text", "") for s in result.get("steps") or []]
    numbered = "".join(f"\n{i}. {s}" for i, s in enumerate(steps, start=1))
    return f"{result.get('answer') or ''}{numbered}".strip()


async def test_agent_pane_suggests_kb_answers_and_inserts_one_into_the_reply(h, new_page):
    agent, user = await handed_off(h, new_page, "赵敏", "孙先生")
    username, password = await h.make_staff([], role="trainer")
    staff = await h.staff_token(username, password)

    async def kb(q: str, matter: str | None = MATTER) -> list[dict]:
        params = {"q": q, **({"matter": matter} if matter else {})}
        status, body = await h.http("GET", "/api/v1/kb/search", staff, params=params)
        assert status == 200, body
        return body["results"]

    # Opening the conversation suggests articles for the user's question, in the matter of the conversation.
    question = "公积金提取需要准备哪些材料？"
    expected = await kb(question)
    assert expected, "the knowledge base has no article for the question"
    note, items = agent.locator("#kb-note"), agent.locator("#kb-results .kb-item")
    await expect(note).to_have_text("为用户最近的问题推荐：")
    await expect(items).to_have_count(min(len(expected), 8))
    await expect(items.locator(".kb-item__title")).to_have_text([r["title"] or r["question"] for r in expected[:8]])
    await expect(items.first.locator(".pill--blue")).to_have_text("住房公积金提取")
    await expect(items.first.locator(".kb-item__a")).to_have_text(answer_text(expected[0]))

    # The agent starts a reply, inserts the first suggestion after it, and sends: the user gets it.
    await agent.fill("#input", "您好，")
    await agent.press("#input", "Control+End")
    await items.first.locator("button:has-text('插入')").click()
    reply = "您好，" + answer_text(expected[0])
    await expect(agent.locator("#input")).to_have_value(reply)
    await expect(agent.locator("#input")).to_be_focused()
    await agent.keyboard.press("Control+Enter")
    await expect(agent.locator("#input")).to_have_value("")
    await expect(agent.locator(".msg--agent .msg__status").last).to_have_text(SENT)
    first_line = reply.splitlines()[0]
    await expect(user.locator(".msg--agent").last).to_contain_text(first_line)

    # The suggestions follow the user's latest question.
    follow_up = "提取公积金申请后多久能到账？"
    later = await kb(follow_up)
    assert later and later[0]["title"] != expected[0]["title"], "the two questions should suggest different articles"
    await user.fill("#input", follow_up)
    await user.press("#input", "Enter")
    await expect(agent.locator("#messages")).to_contain_text(follow_up)
    await expect(items.first.locator(".kb-item__title")).to_have_text(later[0]["title"] or later[0]["question"])
    await expect(note).to_have_text("为用户最近的问题推荐：")

    # A search of the agent's own across all matters; nothing found is said; clearing it brings the suggestions back.
    searched = await kb("社保卡补办", None)
    assert searched
    await agent.fill("#kb-q", "社保卡补办")
    await expect(note).to_have_text("检索结果：")
    await expect(items.first.locator(".kb-item__title")).to_have_text(searched[0]["title"] or searched[0]["question"])
    await agent.fill("#kb-q", "zzqxw")
    await expect(note).to_have_text("未找到与“zzqxw”相关的知识。")
    await expect(items).to_have_count(0)
    await agent.fill("#kb-q", "")
    await expect(note).to_have_text("为用户最近的问题推荐：")
    await expect(items.first.locator(".kb-item__title")).to_have_text(later[0]["title"] or later[0]["question"])
    await screenshot(agent, "agent-kb")

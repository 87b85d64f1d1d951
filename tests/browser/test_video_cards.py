"""Done when: video guides play in /h5 — the video element loads and plays from a range request.

A tiny clip made by ffmpeg now is uploaded as a video guide, attached to the articles of a matter, the
citizen asks the bot on /h5, the answer shows the video card (and the coming live session, not the past
one), and the video plays from the server's 206 answers.
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import agent_login, page_factory, screenshot
from tests.browser.test_a11y import assert_clean
from tests.integration.test_video_guides import CAPTIONS, live_sessions, ready_video, tiny_video

pytestmark = pytest.mark.browser
MATTER = "housing-fund-withdrawal"
DEPARTMENT = "housing-fund"


async def test_video_guide_plays_in_h5_from_a_range_request(h, new_page, tmp_path):
    await h.reset_department(DEPARTMENT)
    video_id = await ready_video(h, tmp_path)
    articles = h.store.kb_articles
    await articles.update_many({"matter": MATTER}, {"$set": {
        "videos": [{"media": video_id, "title": "随申办提取公积金演示"}], "live": live_sessions()}})
    try:
        page = await new_page(375, 740, mobile=True)
        media_answers: list[tuple[int, str | None]] = []

        async def seen(response):
            if "/api/v1/media/" in response.url and "thumb" not in response.url:
                media_answers.append((response.status, (await response.request.all_headers()).get("range")))
        page.on("response", seen)
        await page.goto(f"{h.base_url}/h5?token={await h.user_token(name='视频用户')}&matter={MATTER}")
        await page.fill("#input", "公积金提取需要准备哪些材料？")
        await page.press("#input", "Enter")
        card = page.locator(".msg--bot .answer-card--video").first
        await expect(card).to_be_visible(timeout=30000)
        await expect(card).to_contain_text("随申办提取公积金演示")
        live = page.locator(".msg--bot .answer-card--live")
        await expect(live).to_have_count(1)  # the past session is hidden
        await expect(live).to_contain_text("公积金提取政策解读")
        await expect(live.locator("a")).to_have_attribute("href", "https://live.example.gov.cn/r/1")
        video = card.locator("video")
        for attr in ("controls", "playsinline", "poster"):
            assert await video.get_attribute(attr) is not None, attr
        assert await video.get_attribute("preload") == "none"
        assert await card.locator("track[kind=subtitles]").count() == 1
        played = await video.evaluate("""async (v) => {
          v.muted = true;  // autoplay without a gesture
          await v.play();
          const t0 = performance.now();
          while (v.currentTime < 0.5 && performance.now() - t0 < 10000) await new Promise(r => setTimeout(r, 100));
          return {time: v.currentTime, error: v.error && v.error.code, ready: v.readyState, w: v.videoWidth};
        }""")
        assert played["error"] is None and played["time"] >= 0.5 and played["w"] == 284, played
        assert any(status == 206 and rng and rng.startswith("bytes=") for status, rng in media_answers), media_answers
        await screenshot(page, "h5-video-card")

        # the agent who takes the conversation over sees the same cards in it
        username, password = await h.make_staff([DEPARTMENT], name="视频坐席")
        agent = await new_page()
        await agent_login(agent, h.base_url, username, password)
        await expect(agent.locator("#presence")).to_have_value("online")
        await page.click("#handoff")
        conv = agent.locator(".conv").first
        await expect(conv).to_contain_text("视频用户", timeout=20000)
        await conv.click()
        shown = agent.locator("#messages .msg--bot .answer-card--video").first
        await expect(shown).to_contain_text("随申办提取公积金演示")
        assert await shown.locator("video").get_attribute("src") == await video.get_attribute("src")
        await expect(agent.locator("#messages .msg--bot .answer-card--live")).to_have_count(1)
    finally:
        await articles.update_many({"matter": MATTER}, {"$unset": {"videos": "", "live": ""}})


async def test_trainer_attaches_a_video_and_a_live_session_in_the_kb_editor(h, browser, tmp_path):
    username, password = await h.make_staff([], "trainer", name="视频训练师")
    clip, vtt = tmp_path / "guide.mp4", tmp_path / "guide.vtt"
    clip.write_bytes(tiny_video(tmp_path))
    vtt.write_text(CAPTIONS, encoding="utf-8")
    async with page_factory(browser, bypass_csp=True) as make:  # axe-core is injected into the page
        page = await make(1400, 950)
        await agent_login(page, h.base_url, username, password, path="/trainer")
        await page.click("#tabs button[data-tab=kb]")
        await page.locator(".tr-list li", has_text="上海市居住证办理（申领、签注）").click()
        card = page.locator(".tr-card", has_text="residence-permit.progress")
        await card.get_by_role("button", name="编辑").click()
        dialog = page.locator("dialog[open]")
        await dialog.locator("input[name=video-file]").set_input_files(str(clip))
        await dialog.locator("input[name=video-captions]").set_input_files(str(vtt))
        await dialog.locator("input[name=video-title]").fill("进度查询演示")
        await dialog.get_by_role("button", name="上传视频").click()
        item = dialog.locator("#kb-videos li")
        await expect(item).to_contain_text("进度查询演示")
        await expect(item).to_contain_text("可播放", timeout=60000)
        await dialog.get_by_role("button", name="添加直播").click()
        await dialog.get_by_label("直播主题").fill("居住证办理直播答疑")
        await dialog.get_by_label("开播时间（北京时间）").fill("2030-06-01T19:30")
        await dialog.get_by_label("直播链接（https）").fill("https://live.example.gov.cn/r/9")
        await assert_clean(page, "/trainer KB editor with a video and a live session")
        await dialog.get_by_role("button", name="发布").click()
        await expect(page.locator("dialog[open]")).to_have_count(0)
        await expect(card).to_contain_text("视频指南 1 个 · 直播 1 场")
    live = await h.store.kb_articles.find_one({"_id": "residence-permit.progress"})
    try:
        assert [v["title"] for v in live["videos"]] == ["进度查询演示"] and live["videos"][0]["duration"] > 1
        assert live["live"] == [{"title": "居住证办理直播答疑", "starts_at": "2030-06-01T19:30:00+08:00",
                                 "url": "https://live.example.gov.cn/r/9"}]
    finally:
        await h.store.kb_articles.update_one({"_id": live["_id"]}, {"$unset": {"videos": "", "live": ""}})

"""Done when: video guides play in /h5 — the video element loads and plays from a range request.

A tiny clip made by ffmpeg now is uploaded as a video guide, attached to the articles of a matter, the
citizen asks the bot on /h5, the answer shows the video card (and the coming live session, not the past
one), and the video plays from the server's 206 answers.
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import screenshot
from tests.integration.test_video_guides import live_sessions, ready_video

pytestmark = pytest.mark.browser
MATTER = "housing-fund-withdrawal"


async def test_video_guide_plays_in_h5_from_a_range_request(h, new_page, tmp_path):
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
        card = page.locator(".msg--bot .card--video").first
        await expect(card).to_be_visible(timeout=30000)
        await expect(card).to_contain_text("随申办提取公积金演示")
        live = page.locator(".msg--bot .card--live")
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
    finally:
        await articles.update_many({"matter": MATTER}, {"$unset": {"videos": "", "live": ""}})

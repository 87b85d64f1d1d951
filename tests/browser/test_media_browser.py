"""Calls and co-browse in Chromium through the real bridge: the agent pane (/agent) and the user page (/h5).

Chromium gets a fake camera and microphone; ICE stays on loopback (the bridge runs with
MEDIA_ICE_HOST_ADDRESSES=127.0.0.1, Chromium with --allow-loopback-in-peer-connection).
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time

import aiohttp
import av
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import ARGS, launched, page_factory, screenshot
from tests.browser.test_agent_and_h5 import DEPARTMENT, handed_off
from tests.unit.media_samples import minimal_pdf, silk

pytestmark = pytest.mark.browser
MEDIA_ARGS = ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"]
CALL_S = 4.0
INBOUND = """async (kind) => {
  const stats = await window.BangbanPane.call.stats();
  let frames = 0, packets = 0;
  if (stats) stats.forEach((r) => {
    if (r.type !== 'inbound-rtp' || r.kind !== kind) return;
    frames += r.framesDecoded || 0;
    packets += r.packetsReceived || 0;
  });
  return {frames, packets};
}"""
SECRETS = {"#cb-password": "Secr3t-pw-xyz", "#cb-idcard": "310101199003074518", "#cb-mobile": "13812345678"}


@pytest.fixture(scope="module")
async def media_browser() -> Browser:
    async with launched(MEDIA_ARGS) as b:
        yield b


@pytest.fixture
async def media_page(media_browser: Browser):
    """Pages in fresh contexts with camera and microphone allowed; page errors fail the test."""
    async with page_factory(media_browser, permissions=["camera", "microphone"]) as make:
        yield make


async def timeline(h, cid: str, event: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = await h.store.timeline.find_one({"conversation_id": cid, "event": event})
        if doc is not None:
            return doc
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {event} in the timeline of {cid}")


async def conversation_id(agent: Page) -> str:
    cid = await agent.evaluate("window.BangbanPane.currentConversation()")
    assert cid
    return cid


async def test_video_call_between_agent_and_user(h, media_page):
    agent, user = await handed_off(h, media_page, "赵敏", "孙先生")
    cid = await conversation_id(agent)
    await expect(agent.locator("#media-slot [data-call=video]")).to_be_enabled()
    await agent.click("#media-slot [data-call=video]")
    await expect(agent.locator(".bb-call__status")).to_contain_text("等待对方接听")

    # The user is told the call is recorded, then answers.
    panel = user.locator(".bb-call")
    await expect(panel.locator(".bb-call__status")).to_contain_text("邀请您视频通话", timeout=10000)
    await expect(panel.locator(".bb-call__notice")).to_be_visible()
    await expect(panel.locator(".bb-call__notice")).to_contain_text("录音录像")
    await panel.locator("button:has-text('接听')").click()
    for page in (agent, user):
        await expect(page.locator(".bb-call")).to_have_attribute("data-state", "active", timeout=20000)
    await expect(panel.locator(".bb-call__notice")).to_contain_text("录音录像")
    started = await timeline(h, cid, "call_started")

    await asyncio.sleep(CALL_S)
    for page in (agent, user):
        video, audio = await page.evaluate(INBOUND, "video"), await page.evaluate(INBOUND, "audio")
        assert video["frames"] > 10, video
        assert audio["packets"] > 20, audio
        assert await page.evaluate("document.querySelector('.bb-call__remote').currentTime") > 1
    await screenshot(user, "call")
    await agent.locator(".bb-call button:has-text('挂断')").click()
    for page in (agent, user):
        await expect(page.locator(".bb-call__status")).to_contain_text("通话已结束", timeout=10000)

    ended = await timeline(h, cid, "call_ended")
    detail = ended["detail"]
    wall = (ended["ts"] - started["ts"]).total_seconds()
    assert detail["duration_s"] == pytest.approx(wall, abs=0.5)
    assert CALL_S <= detail["duration_s"] <= CALL_S + 6
    assert await h.store.timeline.count_documents({"conversation_id": cid, "event": {"$in": [
        "call_invited", "call_accepted", "call_started", "call_ended"]}}) == 4

    # The recording: stored with the conversation, readable by a supervisor, decodes with the call's length.
    media_id = detail["recording_media_id"]
    assert media_id, detail
    doc = await h.store.media.find_one({"_id": media_id})
    assert doc["type"] == "recording" and doc["conversation_id"] == cid and doc["mime"] == "video/mp4"
    username, password = await h.make_staff([DEPARTMENT], role="supervisor", name="录像审核")
    token = await h.staff_token(username, password)
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{h.base_url}/api/v1/media/{media_id}", headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200
            data = await r.read()
    with av.open(io.BytesIO(data)) as container:
        kinds = sorted(s.type for s in container.streams)
        assert kinds == ["audio", "audio", "video", "video"], kinds
        seconds = container.duration / 1_000_000
        frames = sum(1 for _ in container.decode(video=0))
    assert seconds == pytest.approx(detail["duration_s"], abs=1.5), (seconds, detail)
    assert frames > 10
    setup = (started["ts"] - (await timeline(h, cid, "call_accepted"))["ts"]).total_seconds()
    print(f"call: accepted->started {setup:.2f} s, duration {detail['duration_s']} s, "
          f"recording {seconds:.2f} s with {frames} frames in the first video track, {len(data)} bytes")


async def agent_received(agent: Page) -> str:
    return await agent.evaluate("JSON.stringify(window.__cobrowseSeen)")


async def replay_value(agent: Page, selector: str) -> str | None:
    return await agent.evaluate("""(sel) => {
      const f = document.querySelector('.bb-cob__replay iframe');
      const el = f && f.contentDocument && f.contentDocument.querySelector(sel);
      return el ? el.value : null;
    }""", selector)


async def test_cobrowse_replay_pointer_masking_and_close(h, media_page):
    agent, user = await handed_off(h, media_page, "钱丽", "周女士")
    cid = await conversation_id(agent)
    # A form on the user's page with sensitive fields, some filled before sharing starts.
    await user.evaluate("""() => {
      const form = document.createElement('form');
      form.id = 'cb-form';
      form.innerHTML = '<input id="cb-address" name="address" placeholder="联系地址">'
        + '<input id="cb-password" type="password" name="pwd">'
        + '<input id="cb-idcard" name="idcard" placeholder="身份证号">'
        + '<input id="cb-mobile" type="tel" name="mobile" placeholder="手机号">';
      document.querySelector('#messages').before(form);
    }""")
    await user.fill("#cb-password", SECRETS["#cb-password"])
    # Everything co-browse the agent's socket receives is kept to be searched afterwards.
    await agent.evaluate("""() => {
      window.__cobrowseSeen = [];
      window.BangbanPane.socket.onAny((event, data) => {
        if (event.startsWith('cobrowse') || event.startsWith('form')) window.__cobrowseSeen.push([event, data]);
      });
    }""")

    await agent.click("#media-slot .bb-cob-request")
    ask = user.locator(".bb-cob-bar--ask")
    await expect(ask).to_contain_text("密码", timeout=10000)
    await ask.locator("button:has-text('同意共享')").click()
    await expect(user.locator(".bb-cob-bar:not(.bb-cob-bar--ask)")).to_contain_text("客服正在查看您的页面")
    await expect(agent.locator(".bb-cob")).to_be_visible()
    await agent.wait_for_function("() => { const f = document.querySelector('.bb-cob__replay iframe');"
                                  " return f && f.contentDocument && f.contentDocument.querySelector('#cb-address'); }",
                                  timeout=10000)

    # A field typed on the user's page shows in the agent's replay within 1 s.
    for text in ("长宁区延安西路1号", "长宁区延安西路100号3楼"):
        t0 = time.monotonic()
        await user.fill("#cb-address", text)
        await agent.wait_for_function(
            "(t) => { const f = document.querySelector('.bb-cob__replay iframe');"
            " const el = f && f.contentDocument.querySelector('#cb-address'); return el && el.value === t; }",
            arg=text, timeout=3000, polling=20)
        latency = time.monotonic() - t0
        assert latency < 1.0, latency
    print(f"co-browse input latency: {latency * 1000:.0f} ms")

    # Sensitive fields typed during sharing; a phone number typed into an ordinary field is scrubbed by the server.
    for selector in ("#cb-idcard", "#cb-mobile"):
        await user.fill(selector, SECRETS[selector])
    await user.fill("#input", f"我的手机是{SECRETS['#cb-mobile']}")
    await user.fill("#cb-address", "完成")
    await agent.wait_for_function(
        "() => document.querySelector('.bb-cob__replay iframe').contentDocument.querySelector('#cb-address').value"
        " === '完成'", timeout=3000)
    await agent.wait_for_function(
        "() => (document.querySelector('.bb-cob__replay iframe').contentDocument.querySelector('#input') || {}).value"
        " === '我的手机是***********'", timeout=3000)
    for selector, secret in SECRETS.items():
        assert await replay_value(agent, selector) == "*" * len(secret)

    # The agent's pointer shows on the user's page.
    box = await agent.locator(".bb-cob__replay iframe").bounding_box()
    await agent.mouse.move(box["x"] + 60, box["y"] + 120)
    await agent.mouse.move(box["x"] + 80, box["y"] + 140, steps=4)
    await expect(user.locator(".bb-cob-pointer")).to_be_visible(timeout=3000)
    await screenshot(agent, "cobrowse")

    # A second consent for control.
    await agent.click("#media-slot .bb-cob-control")
    await expect(ask).to_contain_text("协助操作", timeout=5000)
    await ask.locator("button:has-text('同意协助操作')").click()
    await expect(agent.locator("#media-slot .bb-cob-control")).to_have_text("已获协助操作权")
    await expect(user.locator(".bb-cob-revoke")).to_be_visible()

    # Nothing the agent received, nor the audit log, holds a masked value.
    seen = await agent_received(agent)
    assert '"cobrowse_events"' in seen
    audit = await h.store.cobrowse_events.find({"conversation_id": cid}, {"_id": 0, "ts": 0}).to_list(None)
    assert {d["kind"] for d in audit} >= {"request", "consent", "events", "pointer", "control_request", "control_on"}
    logged = json.dumps(audit, ensure_ascii=False, default=str)
    page_html = await agent.evaluate("document.querySelector('.bb-cob__replay iframe').contentDocument"
                                     ".documentElement.outerHTML")
    for secret in SECRETS.values():
        assert secret not in seen and secret not in logged and secret not in page_html, secret

    # Closing the conversation ends the session on both sides (lifecycle ended listener).
    await agent.click("[data-action=close]")
    await agent.click("dialog button:has-text('结束并邀请评价')")
    await expect(user.locator(".bb-cob-bar:not(.bb-cob-bar--ask)")).to_be_hidden(timeout=10000)
    await expect(agent.locator(".bb-cob")).to_be_hidden()
    ended = await timeline(h, cid, "cobrowse_ended")
    assert ended["detail"]["reason"] == "conversation_closed"
    assert (await timeline(h, cid, "cobrowse_started"))["ts"] <= ended["ts"]


SEND = """(m) => new Promise((resolve) => window.BangbanPane.socket.emit('message', m, resolve))"""
UPLOAD = """({cid, bytes, name}) => window.BangbanPane.api.upload(
  cid, new File([new Uint8Array(bytes)], name, {type: 'application/pdf'}), name)"""


async def test_agent_pane_shows_the_file_name_of_an_attachment(h, media_page):
    agent, user = await handed_off(h, media_page, "吴静", "郑先生")
    cid = await conversation_id(agent)
    pdf = await user.evaluate(UPLOAD, {"cid": cid, "bytes": list(minimal_pdf()), "name": "户籍证明.pdf"})
    assert pdf["type"] == "file" and pdf["filename"] == "户籍证明.pdf", pdf

    ack = await user.evaluate(SEND, {"conversation_id": cid, "client_msg_id": f"file-{pdf['media_id'][:12]}",
                                     "type": "file", "media_id": pdf["media_id"]})
    assert ack["ok"], ack
    link = agent.locator("#messages .msg__file")
    await expect(link).to_contain_text("户籍证明.pdf", timeout=10000)
    # the signed, short-lived link arrives asynchronously (issue 14: no token in the URL)
    await expect(link).to_have_attribute("href", re.compile(r"^/api/v1/media/[^?]+\?exp=\d+&sig=[0-9a-f]{64}$"),
                                         timeout=10000)
    # the transcript read back after a reload names the file too
    await agent.reload()
    await agent.wait_for_selector("#app:not([hidden])", timeout=20000)
    await agent.locator(".conv").first.click()
    await expect(agent.locator("#messages .msg__file")).to_contain_text("户籍证明.pdf", timeout=10000)


UPLOAD_VOICE = """({cid, bytes, name}) => window.BangbanPane.api.upload(
  cid, new File([new Uint8Array(bytes)], name, {type: 'application/octet-stream'}), name)"""
PLAY = """async (audio) => {
  audio.muted = true;  // autoplay without a gesture
  await audio.play();
  const t0 = performance.now();
  while (audio.currentTime < 0.5 && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
  audio.pause();
  return {duration: audio.duration, currentTime: audio.currentTime, error: audio.error && audio.error.code};
}"""


async def test_agent_pane_plays_a_wechat_silk_voice_message(h, media_page):
    """A WeChat voice message (SILK v3 from the SILK encoder) sent by the user plays in the agent pane."""
    agent, user = await handed_off(h, media_page, "钱琳", "冯先生")
    cid = await conversation_id(agent)
    voice = await user.evaluate(UPLOAD_VOICE, {"cid": cid, "bytes": list(silk(3.0)), "name": "msg_1623.silk"})
    assert voice["type"] == "voice" and voice["mime"] == "audio/mp4", voice
    assert voice["duration_s"] == pytest.approx(3.0, abs=0.1)
    stored = await h.store.media.find_one({"_id": voice["media_id"]})
    assert stored["source_format"] == "silk"

    ack = await user.evaluate(SEND, {"conversation_id": cid, "client_msg_id": f"silk-{voice['media_id'][:12]}",
                                     "type": "voice", "media_id": voice["media_id"]})
    assert ack["ok"], ack
    audio = agent.locator("#messages .msg__voice audio")
    await expect(audio).to_have_attribute("src", re.compile(r"^/api/v1/media/[^?]+\?exp=\d+&sig=[0-9a-f]{64}$"),
                                          timeout=10000)
    await expect(agent.locator("#messages .msg__voice-len")).to_have_text("3″")
    played = await audio.evaluate(PLAY)
    assert played["error"] is None and played["duration"] == pytest.approx(3.0, abs=0.15), played
    assert played["currentTime"] >= 0.5, played

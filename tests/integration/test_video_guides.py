"""Video guides through the real bridge: upload → transcoded → served with Range; refusals store nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import aiohttp

from bridge.domain.retention import Retention
from core.settings import get_settings
from kb.importer import bump_revision
from tests.integration.systems import MultiHarness
from tests.integration.test_media_uploads_e2e import MATTER, with_agent
from tests.support import Harness

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:01.500\n点击“在线办理”进入办事页面\n"


def tiny_video(tmp: Path, seconds: float = 1.5, fmt: str = "mp4") -> bytes:
    """A small clip with a tone (160p, a couple of seconds) made by ffmpeg, as a phone might upload it."""
    out = tmp / f"clip.{fmt}"
    codecs = ["-c:v", "libvpx", "-c:a", "libopus"] if fmt == "webm" else ["-c:v", "libx264", "-c:a", "aac"]
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size=284x160:rate=15:d={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", *codecs, "-shortest", str(out)],
                   check=True, capture_output=True)
    return out.read_bytes()


def still_clip(tmp: Path, seconds: int) -> bytes:
    """A still blue frame for `seconds` (tiny, however long)."""
    out = tmp / "still.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=blue:size=64x64:rate=1:d={seconds}",
                    "-c:v", "libx264", "-preset", "ultrafast", str(out)], check=True, capture_output=True)
    return out.read_bytes()


def streams(data: bytes) -> dict[str, dict]:
    """The streams of a file by type, as ffprobe sees them."""
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-"],
                         input=data, capture_output=True, check=True).stdout
    return {s["codec_type"]: s for s in json.loads(out)["streams"]}


def form(data: bytes, captions: str | bytes | None = None, title: str = "如何在线申领") -> aiohttp.FormData:
    f = aiohttp.FormData()
    f.add_field("title", title)
    f.add_field("file", data, filename="guide.mp4", content_type="video/mp4")
    if captions is not None:
        f.add_field("captions", captions.encode() if isinstance(captions, str) else captions,
                    filename="guide.vtt", content_type="text/vtt")
    return f


async def wait_ready(lh: MultiHarness | Harness, token: str, video_id: str, timeout_s: float = 60) -> dict:
    for _ in range(int(timeout_s * 4)):
        status, body = await lh.http("GET", f"/api/v1/videos/{video_id}", token=token)
        assert status == 200, body
        if body["state"] != "processing":
            return body
        await asyncio.sleep(0.25)
    raise AssertionError(f"video {video_id} still processing")


async def fetch(lh: MultiHarness, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    async with aiohttp.ClientSession() as s, s.get(lh.base_url + path, headers=headers or {}) as r:
        return r.status, await r.read(), dict(r.headers)


async def trainer_token(lh: MultiHarness | Harness) -> str:
    username, _ = await lh.make_staff([], "trainer")
    return await lh.staff_token(username)


async def ready_video(h: MultiHarness | Harness, tmp_path: Path) -> str:
    """A ready video guide (a 1.5 s clip with captions) uploaded by a new trainer; its video id."""
    token = await trainer_token(h)
    status, job = await h.http("POST", "/api/v1/videos", token=token, data=form(tiny_video(tmp_path), CAPTIONS))
    assert status == 202, job
    job = await wait_ready(h, token, job["video_id"])
    assert job["state"] == "ready", job
    return job["video_id"]


def live_sessions() -> list[dict]:
    """A session in two days and one that is over (hidden by every client)."""
    soon = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=2)).replace(microsecond=0)
    past = soon - dt.timedelta(days=10)
    return [{"title": "公积金提取政策解读", "starts_at": soon.isoformat(), "url": "https://live.example.gov.cn/r/1"},
            {"title": "已结束的直播", "starts_at": past.isoformat(), "url": "https://live.example.gov.cn/r/0"}]


async def test_upload_transcodes_and_serves_ranges(lh: MultiHarness, tmp_path: Path):
    token = await trainer_token(lh)
    status, job = await lh.http("POST", "/api/v1/videos", token=token, data=form(tiny_video(tmp_path), CAPTIONS))
    assert status == 202, job
    assert job["state"] == "processing" and job["source_format"] == "mp4" and job["title"] == "如何在线申领"
    ready = await wait_ready(lh, token, job["video_id"])
    assert ready["state"] == "ready", ready
    assert 1.3 < ready["duration_s"] < 1.8 and ready["src"] and ready["poster"] and ready["captions"]
    status, whole, headers = await fetch(lh, ready["src"])
    assert status == 200 and headers["Content-Type"] == "video/mp4" and headers["Accept-Ranges"] == "bytes"
    assert whole[4:8] == b"ftyp" and whole.find(b"moov") < whole.find(b"mdat")  # +faststart: index first
    status, part, headers = await fetch(lh, ready["src"], {"Range": "bytes=100-1099"})
    assert status == 206 and part == whole[100:1100]
    assert headers["Content-Range"] == f"bytes 100-1099/{len(whole)}"
    codecs = streams(whole)
    assert codecs["video"]["codec_name"] == "h264" and codecs["video"]["pix_fmt"] == "yuv420p"
    assert codecs["video"]["height"] == 160 and codecs["audio"]["codec_name"] == "aac"
    status, poster, headers = await fetch(lh, ready["poster"])
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and poster.startswith(b"\xff\xd8\xff")
    status, vtt, headers = await fetch(lh, ready["captions"])
    assert status == 200 and headers["Content-Type"].startswith("text/vtt") and vtt.decode() == CAPTIONS
    # only the signed links open the items: a token does not (they belong to no conversation)
    status, _, _ = await fetch(lh, f"/api/v1/media/{ready['media_id']}", {"Authorization": f"Bearer {token}"})
    assert status == 404
    status, _, _ = await fetch(lh, ready["src"].replace("sig=", "sig=0"))
    assert status == 401


async def test_webm_without_captions_becomes_mp4(lh: MultiHarness, tmp_path: Path):
    token = await trainer_token(lh)
    status, job = await lh.http("POST", "/api/v1/videos", token=token, data=form(tiny_video(tmp_path, 1, "webm")))
    assert status == 202 and job["source_format"] == "webm", job
    ready = await wait_ready(lh, token, job["video_id"])
    assert ready["state"] == "ready" and ready["captions"] is None, ready
    status, data, headers = await fetch(lh, ready["src"])
    assert status == 200 and headers["Content-Type"] == "video/mp4" and data[4:8] == b"ftyp"


async def test_bad_uploads_are_refused_and_nothing_is_stored(lh: MultiHarness, tmp_path: Path):
    token = await trainer_token(lh)
    videos, media = lh.store.db["media_videos"], lh.store.db["media"]
    before = (await videos.count_documents({}), await media.count_documents({"conversation_id": "kb"}))
    fake = b"\x00\x00\x00\x18ftypmp42" + b"not a video at all" * 200
    good = tiny_video(tmp_path)
    cases = [
        (form(fake), 422, "decode_failed"),
        (form(b"<html>hello</html>" * 10), 415, "unsupported_type"),
        (form(good, "just some text\n00:01 no timing"), 422, "bad_captions"),
        (form(good, "WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nbackwards\n"), 422, "bad_captions"),
        (form(good, b"WEBVTT\n\n00:00.000 --> 00:01.000\n\xff\xfe\n"), 422, "bad_captions"),
        (form(good, "WEBVTT\n\n" + "00:00.000 --> 00:01.000\n字幕\n\n" * 20000), 413, "too_large"),
        (form(b""), 400, "empty_file"),
    ]
    for data, want, code in cases:
        status, body = await lh.http("POST", "/api/v1/videos", token=token, data=data)
        assert (status, body["error"]["code"]) == (want, code), body
        assert body["error"]["message"]
    assert (await videos.count_documents({}), await media.count_documents({"conversation_id": "kb"})) == before


async def test_too_big_and_too_long_videos_are_refused(lh: MultiHarness, tmp_path: Path):
    token = await trainer_token(lh)
    big = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (201 * 1024 * 1024)
    status, body = await lh.http("POST", "/api/v1/videos", token=token, data=form(big))
    assert status == 413 and body["error"]["code"] == "too_large", body
    status, body = await lh.http("POST", "/api/v1/videos", token=token, data=form(still_clip(tmp_path, 660)))
    assert status == 422 and body["error"]["code"] == "too_long", body


async def test_only_trainers_supervisors_and_admins_upload(lh: MultiHarness, tmp_path: Path):
    username, _ = await lh.make_staff(["housing-fund"], "agent")
    agent = await lh.staff_token(username)
    user = await lh.user_token()
    for token in (agent, user):
        status, body = await lh.http("POST", "/api/v1/videos", token=token, data=form(tiny_video(tmp_path)))
        assert status == 403 and body["error"]["code"] == "forbidden", body
    status, _ = await lh.http("POST", "/api/v1/videos", data=form(b"x"))
    assert status == 401
    username, _ = await lh.make_staff(["housing-fund"], "supervisor")
    status, job = await lh.http("POST", "/api/v1/videos", token=await lh.staff_token(username),
                                data=form(tiny_video(tmp_path)))
    assert status == 202, job
    status, _ = await lh.http("GET", f"/api/v1/videos/{job['video_id']}", token=agent)
    assert status == 403


async def test_an_agent_inserting_an_article_sends_its_cards(lh: MultiHarness, tmp_path: Path):
    video_id = await ready_video(lh, tmp_path)
    user, _, agent, agent_token, cid = await with_agent(lh)
    article = await lh.store.kb_articles.find_one({"matter": MATTER, "aspect": "materials"})
    sessions = live_sessions()
    await lh.store.kb_articles.update_one({"_id": article["_id"]}, {"$set": {
        "videos": [{"media": video_id, "title": "换证演示"}, {"media": "f" * 32, "title": "还没有的视频"}],
        "live": sessions}})
    await bump_revision(lh.store, note="test: guides on an article")  # the search index follows the revision
    try:
        for _ in range(100):  # every bridge's searcher follows the revision within its check interval
            status, found = await lh.http("GET", f"/api/v1/kb/search?q=驾驶证换证材料&matter={MATTER}&limit=20",
                                          token=agent_token)
            assert status == 200, found
            hit = next(r for r in found["results"] if r["id"] == article["_id"])
            if hit["cards"]:
                break
            await asyncio.sleep(0.1)
        assert [c["type"] for c in hit["cards"]] == ["video", "live"]  # the unknown video and the past session: none
        ack = await agent.call("message", {"conversation_id": cid, "client_msg_id": "ins-1", "type": "text",
                                           "text": article["answer"], "kb_article": article["_id"]})
        assert ack["ok"] and [c["type"] for c in ack["cards"]] == ["video", "live"], ack
        got = await user.wait_for("message", pred=lambda m: m.get("sender", {}).get("role") == "agent")
        video, live = got["cards"]
        assert video["title"] == "换证演示" and video["src"].startswith("/api/v1/media/") and video["captions"]
        assert live == {"type": "live", **sessions[0]}
        status, _, headers = await fetch(lh, video["src"], {"Range": "bytes=0-99"})
        assert status == 206 and headers["Content-Range"].startswith("bytes 0-99/")
        plain = await agent.call("message", {"conversation_id": cid, "client_msg_id": "ins-2", "type": "text",
                                             "text": "还有别的问题吗？"})
        assert plain["ok"] and "cards" not in plain
        bad = await agent.call("message", {"conversation_id": cid, "client_msg_id": "ins-3", "type": "text",
                                           "text": "x", "kb_article": "<script>"})
        assert not bad["ok"] and bad["error"]["code"] == "invalid_payload", bad
        refused = await user.call("message", {"conversation_id": cid, "client_msg_id": "u-ins", "type": "text",
                                              "text": "x", "kb_article": article["_id"]})
        assert not refused["ok"], refused  # citizens do not attach articles
    finally:
        await lh.store.kb_articles.update_one({"_id": article["_id"]}, {"$unset": {"videos": "", "live": ""}})
        await bump_revision(lh.store, note="test: guides removed")


async def test_the_kb_editor_attaches_videos_and_live_sessions(h: Harness, tmp_path: Path):
    video_id = await ready_video(h, tmp_path)
    token = await trainer_token(h)
    status, body = await h.http("GET", "/api/v1/trainer/kb/articles?matter=residence-permit", token=token)
    offline = next(a for a in body["articles"] if a["id"] == "residence-permit.offline")
    base = {k: offline[k] for k in ("id", "matter", "aspect", "title", "question", "answer", "steps", "source")}
    kb_file = Path(os.environ["BANGBAN_TRAINER_ROOT"]) / "data" / "kb" / "residence-permit.yml"
    sessions = live_sessions()[:1]

    async def save(**fields) -> tuple[int, dict]:
        return await h.http("POST", "/api/v1/trainer/kb/articles", token=token, json={**base, **fields})

    video = {"media": video_id, "title": "居住证窗口办理演示", "duration": 1.5}
    status, body = await save(videos=[video], live=sessions)
    assert status == 200 and body["applied"] is True, body
    live = await h.store.kb_articles.find_one({"_id": "residence-permit.offline"})
    assert live["videos"] == [video]
    assert live["live"] == sessions and video_id in kb_file.read_text(encoding="utf-8")
    status, body = await h.http("GET", "/api/v1/trainer/kb/articles?matter=residence-permit", token=token)
    listed = next(a for a in body["articles"] if a["id"] == "residence-permit.offline")
    assert listed["videos"][0]["media"] == video_id and listed["live"] == sessions

    status, body = await save(answer=base["answer"] + "（请提前预约）")  # without the fields: kept
    assert status == 200, body
    live = await h.store.kb_articles.find_one({"_id": "residence-permit.offline"})
    assert live["videos"][0]["media"] == video_id and live["live"] == sessions

    for bad, want in (({"live": [{**sessions[0], "starts_at": "2026-12-03T19:30:00"}]}, 422),  # the loader's check
                      ({"videos": [{"media": "not-a-video", "title": "x"}]}, 400),  # the request's schema
                      ({"live": [{**sessions[0], "url": "http://live.example.gov.cn/r/1"}]}, 400)):
        status, body = await save(**bad)
        assert status == want, (bad, body)

    status, body = await save(videos=[], live=[])  # removed
    assert status == 200, body
    live = await h.store.kb_articles.find_one({"_id": "residence-permit.offline"})
    assert "videos" not in live and "live" not in live and video_id not in kb_file.read_text(encoding="utf-8")


async def test_retention_leaves_video_guides_alone(lh: MultiHarness, tmp_path: Path):
    token = await trainer_token(lh)
    video_id = await ready_video(lh, tmp_path)
    job = await lh.store.db["media_videos"].find_one({"_id": video_id})
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)  # far past every retention window
    ids = [job["media_id"], job["captions_id"]]
    moved = await lh.store.db["media_fs.files"].update_many({"metadata.media_id": {"$in": ids}},
                                                            {"$set": {"uploadDate": long_ago}})
    assert moved.modified_count == 3  # the video, its poster, the captions
    await Retention(lh.store, get_settings()).sweep()
    status, ready = await lh.http("GET", f"/api/v1/videos/{video_id}", token=token)
    assert status == 200 and ready["state"] == "ready"
    for link in (ready["src"], ready["poster"], ready["captions"]):
        status, data, _ = await fetch(lh, link)
        assert status == 200 and data, link
    media = await lh.store.media.find_one({"_id": job["media_id"]})
    assert media["created_at"] is None and media["stored_at"]  # no date for the TTL index to expire

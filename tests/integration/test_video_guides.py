"""Video guides through the real bridge: upload → transcoded → served with Range; refusals store nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import aiohttp

from tests.integration.systems import MultiHarness

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


async def wait_ready(lh: MultiHarness, token: str, video_id: str, timeout_s: float = 60) -> dict:
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


async def trainer_token(lh: MultiHarness) -> str:
    username, _ = await lh.make_staff([], "trainer")
    return await lh.staff_token(username)


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

"""Media uploads through the real bridge: image, voice, PDF; messages that carry them; Range; access; refusals."""

from __future__ import annotations

import asyncio
import io
import subprocess
from pathlib import Path

import aiohttp
import av
import pytest
from PIL import Image

from tests.support import Client, Harness, cmid, start_conversation
from tests.unit.media_samples import minimal_pdf, png_bomb

DEPARTMENT = "public-security"
MATTER = "drivers-license"


def png_with_gps(size: tuple[int, int] = (640, 480)) -> bytes:
    """A PNG carrying an eXIf chunk with GPS coordinates (as phone screenshots and photos may)."""
    img = Image.new("RGB", size, (30, 120, 200))
    for x in range(0, size[0], 40):
        for y in range(0, size[1], 40):
            img.putpixel((x, y), (255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif[0x8825] = {1: "N", 2: (31.0, 13.0, 50.0), 3: "E", 4: (121.0, 28.0, 30.0)}
    out = io.BytesIO()
    img.save(out, "PNG", exif=exif)
    data = out.getvalue()
    assert b"eXIf" in data
    return data


def spoken_m4a(tmp: Path) -> tuple[bytes, float]:
    """Chinese speech by espeak-ng, encoded to AAC/M4A by ffmpeg (what the apps upload); bytes and duration."""
    wav, m4a = tmp / "voice.wav", tmp / "voice.m4a"
    text = "您好，我想咨询驾驶证到期换证需要哪些材料。"
    subprocess.run(["espeak-ng", "-v", "cmn", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "aac", "-b:a", "64k", str(m4a)],
                   check=True, capture_output=True)
    return m4a.read_bytes(), decoded_seconds(wav.read_bytes())


def decoded_seconds(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as c:
        stream = c.streams.audio[0]
        samples = sum(f.samples for f in c.decode(stream))
        return samples / stream.rate


async def upload(h: Harness, token: str, conversation_id: str, data: bytes, filename: str,
                 content_type: str = "application/octet-stream") -> tuple[int, dict]:
    form = aiohttp.FormData()
    form.add_field("conversation_id", conversation_id)
    form.add_field("file", data, filename=filename, content_type=content_type)
    return await h.http("POST", "/api/v1/media", token=token, data=form)


async def download(h: Harness, token: str, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    async with aiohttp.ClientSession() as s:
        async with s.get(h.base_url + path, headers={"Authorization": f"Bearer {token}", **(headers or {})}) as r:
            return r.status, await r.read(), dict(r.headers)


async def with_agent(h: Harness) -> tuple[Client, str, Client, str, str]:
    """A user and an agent in one conversation: (user, user token, agent, agent token, conversation id)."""
    await h.reset_department(DEPARTMENT)
    username, password = await h.make_staff([DEPARTMENT], name="媒体坐席")
    agent_token = await h.staff_token(username, password)
    agent = await h.connect("/agent", agent_token)
    assert (await agent.call("presence", {"status": "online"}))["ok"]
    user_token = await h.user_token(name="媒体用户")
    user = await h.connect("/user", user_token)
    cid = await start_conversation(user, "驾驶证到期了怎么换证", matter=MATTER)
    ack = await user.call("handoff", {"conversation_id": cid})
    assert ack["ok"] and ack["state"] == "with_agent", ack
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    return user, user_token, agent, agent_token, cid


async def stored_count(h: Harness) -> tuple[int, int]:
    return await h.store.media.count_documents({}), await h.store.db["media_fs.files"].count_documents({})


async def test_uploads_messages_range_and_access(h: Harness, tmp_path: Path):
    user, user_token, agent, agent_token, cid = await with_agent(h)

    # Image: PNG with GPS in EXIF -> re-encoded without EXIF, with a thumbnail.
    status, img = await upload(h, user_token, cid, png_with_gps(), "截图.png", "image/png")
    assert status == 201, img
    assert img["type"] == "image" and img["width"] == 640 and img["height"] == 480 and img["thumb_url"]
    status, body, headers = await download(h, user_token, img["url"])
    assert status == 200 and headers["Content-Type"] == img["mime"]
    stored = Image.open(io.BytesIO(body))
    assert stored.size == (640, 480)
    assert not stored.getexif() and b"eXIf" not in body and b"Exif" not in body and "exif" not in stored.info
    status, thumb, _ = await download(h, user_token, img["thumb_url"])
    assert status == 200 and max(Image.open(io.BytesIO(thumb)).size) <= 320

    # Voice: espeak-ng speech as AAC/M4A -> playable M4A with the duration kept.
    voice_bytes, seconds = spoken_m4a(tmp_path)
    status, voice = await upload(h, user_token, cid, voice_bytes, "voice.m4a", "audio/x-m4a")
    assert status == 201, voice
    assert voice["type"] == "voice" and voice["mime"] == "audio/mp4"
    assert voice["duration_s"] == pytest.approx(seconds, abs=0.3)
    status, body, _ = await download(h, user_token, voice["url"])
    assert status == 200 and decoded_seconds(body) == pytest.approx(seconds, abs=0.3)

    # PDF from the agent.
    status, pdf = await upload(h, agent_token, cid, minimal_pdf(), "材料清单.pdf", "application/pdf")
    assert status == 201, pdf
    assert pdf["type"] == "file" and pdf["mime"] == "application/pdf"

    # Messages referencing the media, on /user and /agent: the other side gets them live with `media`,
    # and both read them back in the transcript.
    sent: dict[int, tuple[str, dict]] = {}
    for client, other, kind, media in ((user, agent, "image", img), (user, agent, "voice", voice),
                                       (agent, user, "file", pdf)):
        ack = await client.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": kind,
                                            "media_id": media["media_id"]})
        assert ack["ok"], ack
        got = await other.wait_for("message", conversation_id=cid, seq=ack["seq"])
        assert got["type"] == kind and got["media"]["id"] == media["media_id"]
        sent[ack["seq"]] = (kind, media)
    for token in (user_token, agent_token):
        status, body = await h.http("GET", f"/api/v1/conversations/{cid}/transcript", token=token)
        assert status == 200, body
        by_seq = {m["seq"]: m for m in body["messages"]}
        for seq, (kind, media) in sent.items():
            m = by_seq[seq]["media"]
            assert by_seq[seq]["type"] == kind and m["id"] == media["media_id"]
            assert m["url"] == f"/api/v1/media/{media['media_id']}" and m["mime"] == media["mime"]
            if kind == "voice":
                assert m["duration_s"] == voice["duration_s"]
            if kind == "image":
                assert m["thumb_url"] and (m["width"], m["height"]) == (640, 480)
    ack = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "voice",
                                      "media_id": img["media_id"]})
    assert not ack["ok"]

    # Range requests: 206 with the right slice, 416 past the end.
    status, full, _ = await download(h, agent_token, voice["url"])
    status, part, headers = await download(h, agent_token, voice["url"], {"Range": "bytes=100-199"})
    assert status == 206 and part == full[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(full)}"
    status, _, _ = await download(h, agent_token, voice["url"], {"Range": f"bytes={len(full) + 10}-"})
    assert status == 416

    # Another user and another agent: refused, existence not revealed.
    other_user = await h.user_token(name="旁人")
    other_username, other_password = await h.make_staff([DEPARTMENT], name="旁观坐席")
    other_agent = await h.staff_token(other_username, other_password)
    for token in (other_user, other_agent):
        for path in (img["url"], img["thumb_url"], voice["url"], pdf["url"]):
            status, _, _ = await download(h, token, path)
            assert status == 404, (path, status)
        status, body = await upload(h, token, cid, png_with_gps((32, 32)), "x.png")
        assert status == 403 and body["error"]["code"] == "forbidden"
    status, _, _ = await download(h, "", img["url"])
    assert status == 401


async def test_fake_image_and_bomb_are_refused_and_nothing_is_stored(h: Harness):
    user, user_token, _agent, _agent_token, cid = await with_agent(h)
    before = await stored_count(h)
    cases = [
        (b"this is plain text, not a picture\n" * 20, "photo.png", "image/png", 415, "unsupported_type"),
        (png_bomb(), "bomb.png", "image/png", 422, "image_bomb"),
        (png_with_gps()[:400], "truncated.png", "image/png", 422, "decode_failed"),
        (b"", "empty.png", "image/png", 400, "empty_file"),
    ]
    for data, name, ctype, want_status, want_code in cases:
        status, body = await upload(h, user_token, cid, data, name, ctype)
        assert (status, body["error"]["code"]) == (want_status, want_code), (name, status, body)
        assert body["error"]["message"]
    await asyncio.sleep(0.2)
    assert await stored_count(h) == before
    ack = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "image",
                                      "media_id": "does-not-exist"})
    assert not ack["ok"] and ack["error"]["code"] == "not_found"

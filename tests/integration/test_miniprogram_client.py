"""The reference WeChat mini-program (clients/miniprogram) run in the mini-program component simulator
(miniprogram-simulate, Node) against the running system, its wx.* APIs over the real network."""

from __future__ import annotations

import asyncio
import importlib
import io
import json
import os
import pkgutil
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.integration.test_video_guides import live_sessions, ready_video
from tests.support import Harness
from tests.unit.media_samples import silk, tone

CLIENT_DIR = Path(__file__).resolve().parents[2] / "clients" / "miniprogram"
DEPARTMENT = "public-security"  # the matter drivers-license's department
MATTER = "drivers-license"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _samples(folder: Path) -> None:
    """What the phone hands the page: an album photo, the recorder's mp3 and aac, a WeChat SILK voice file."""
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 120, 200)).save(buf, "PNG")
    (folder / "photo.png").write_bytes(buf.getvalue())
    (folder / "voice.mp3").write_bytes(tone("mp3", 2.0))
    (folder / "voice.aac").write_bytes(tone("aac", 2.0))
    (folder / "wechat.silk").write_bytes(silk(3.0))


def _user_events() -> set[str]:
    """The Socket.IO events the bridge registers (every EVENTS table under bridge/transport/sio)."""
    import bridge.transport.sio as sio_pkg

    names: set[str] = set()
    for info in pkgutil.iter_modules(sio_pkg.__path__):
        module = importlib.import_module(f"{sio_pkg.__name__}.{info.name}")
        names |= {e.name for e in getattr(module, "EVENTS", ())}
    return names


def _require_node() -> None:
    assert shutil.which("node") and shutil.which("npm"), "node or npm is missing (they run the mini-program tests)"
    modules = CLIENT_DIR / "node_modules"
    for package in ("miniprogram-simulate", "jsdom", "ws", "socket.io-client"):
        assert (modules / package).exists(), f"{package} missing: scripts/test.sh runs npm ci in {CLIENT_DIR}"


async def test_miniprogram_chat_page_speaks_the_contract(h: Harness, tmp_path: Path):
    _require_node()
    await h.reset_department(DEPARTMENT)
    username, password = await h.make_staff([DEPARTMENT], name="小程序坐席")
    _samples(tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    report_path = tmp_path / "report.json"
    notify = "notify:consent" in _user_events()  # issue 15's notifications: consent recorded, tokens with openid
    env = {**os.environ, "BANGBAN_URL": h.base_url, "AGENT_USERNAME": username, "AGENT_PASSWORD": password,
           "SAMPLES": str(tmp_path), "REPORT": str(report_path), "DEV_OPENID": "1" if notify else "0",
           "SNAPSHOT": str(ARTIFACTS / "miniprogram-chat.html")}
    video_id = await ready_video(h, tmp_path)  # the answer about the matter carries a video guide and a live session
    await h.store.kb_articles.update_many({"matter": MATTER}, {"$set": {
        "videos": [{"media": video_id, "title": "换证操作演示"}], "live": live_sessions()}})
    try:
        proc = await asyncio.create_subprocess_exec(
            "npm", "test", "--silent", cwd=CLIENT_DIR, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(proc.communicate(), 200)
    finally:
        await h.store.kb_articles.update_many({"matter": MATTER}, {"$unset": {"videos": "", "live": ""}})
    assert proc.returncode == 0, out.decode()
    report = json.loads(report_path.read_text())
    cid = report["conversation_id"]

    assert report["call_buttons"] == 0
    assert report["first"]["role"] == "user" and report["first"]["seq"] == 1
    assert report["bot"]["text"]
    video, live = report["cards"]  # the past session is hidden
    assert video["type"] == "video" and video["title"] == "换证操作演示" and video["length"] == "0:02"
    assert video["src"].startswith(h.base_url + "/api/v1/media/") and video["poster"].startswith(h.base_url)
    assert report["players"] == 1
    assert report["video_range"] == {"status": 206, "type": "video/mp4", "size": 1024}
    assert live["type"] == "live" and live["title"] == "公积金提取政策解读" and "开播" not in live["when"]
    assert report["clipboard"] == "https://live.example.gov.cn/r/1"
    assert report["subscribe_asked"] == [["wx-dev-reply", "wx-dev-turn", "wx-dev-rating"]]
    if notify:
        assert report["consent_ack"]["ok"] is True, report["consent_ack"]
    else:
        assert report["consent_ack"]["error"]["code"] == "timeout"
    assert report["assigned_channel"] == "wechat" and report["title"].startswith("人工客服")
    assert report["agent_reply"] == "您好，换领驾驶证需要身份证和体检证明。"
    assert report["image"]["agent_mime"] in ("image/jpeg", "image/png")
    assert report["image"]["shown"]["status"] == 200 and report["image"]["shown"]["type"].startswith("image/")
    assert [s["format"] for s in report["recorder_starts"]] == ["mp3", "aac"]
    for voice in report["voices"] + [report["silk"]]:
        assert voice["mime"] == "audio/mp4"
    assert [round(v["duration_s"]) for v in report["voices"]] == [2, 2]
    assert report["silk"]["duration_s"] == pytest.approx(3.0, abs=0.1)
    assert report["played"] == {"status": 200, "type": "audio/mp4", "size": report["played"]["size"], "silk": True}

    fields = {f["name"]: f for f in report["form_share"]["fields"]}
    assert fields["name"]["value"] == "张三" and not fields["name"]["masked"]
    assert fields["idcard"]["value"] == "*" * 18 and fields["phone"]["value"] == "*" * 11
    assert report["form_reply"]["accepted"] == ["address"] and report["form_reply"]["rejected"] == ["idcard"]
    assert report["form_applied"] == {"address": "上海市黄浦区人民大道200号"}
    again = {f["name"]: f["value"] for f in report["form_share_again"]["fields"]}
    assert again["address"] == "上海市黄浦区人民大道200号" and again["idcard"] == "*" * 18
    assert report["call"]["reason"] == "declined" and "不支持通话" in report["call_notice"]
    assert report["after_reconnect"] == "地址已帮您核对。" and report["reconnects"] == 1
    assert report["rating_target"] == "agent" and report["rated"] is True
    assert report["level_3"] == "基本满意"
    assert report["closed_tools"] == 0 and report["new_conversation"] == {"seq": 1, "other": True}

    seqs = [m["seq"] for m in report["items"]]
    assert seqs == list(range(1, len(seqs) + 1))
    assert report["resumed"] == {"seqs": seqs, "state": "closed"}
    assert report["renewals"] == 1  # an expired token was renewed once and the socket connected again
    stored = {m["_id"]: m async for m in h.store.media.find({"conversation_id": cid})}
    assert stored[report["silk"]["id"]]["source_format"] == "silk"
    assert {stored[v["id"]]["source_format"] for v in report["voices"]} == {"mp3", "aac"}
    rating = await h.store.db["ratings"].find_one({"conversation_id": cid, "target": "agent"})
    assert rating and rating["score"] == 5 and rating["resolved"] is True

"""Video guides and live sessions of articles: validation of the fields, captions and video sniffing."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import ApiError
from kb.loader import Article
from kb.video_guides import LiveSession, VideoGuide, read_guides, upcoming
from media.video import check_captions, scale_filter, sniff_video

VIDEO_ID = "0123456789abcdef0123456789abcdef"
LIVE = {"title": "公积金提取政策直播解读", "starts_at": "2026-12-03T19:30:00+08:00", "url": "https://live.sh.gov.cn/1"}


def guides(item: dict) -> tuple[dict, list[str]]:
    problems: list[str] = []
    return read_guides(item, problems), problems


def test_valid_videos_and_live_sessions_are_read():
    out, problems = guides({"videos": [{"media": VIDEO_ID, "title": "如何在线提取", "duration": 75}], "live": [LIVE]})
    assert problems == []
    assert out["videos"] == (VideoGuide(VIDEO_ID, "如何在线提取", 75.0),)
    assert out["live"] == (LiveSession(LIVE["title"], LIVE["starts_at"], LIVE["url"]),)
    assert guides({}) == ({"videos": (), "live": ()}, [])


@pytest.mark.parametrize(("item", "fragment"), [
    ({"videos": [{"media": "abc", "title": "t"}]}, "not a video id"),
    ({"videos": [{"media": VIDEO_ID}]}, "needs a title"),
    ({"videos": [{"media": VIDEO_ID, "title": "t", "duration": -3}]}, "duration"),
    ({"videos": [{"media": VIDEO_ID, "title": "t", "duration": True}]}, "duration"),
    ({"videos": "x"}, "must be a list"),
    ({"videos": [{"media": VIDEO_ID, "title": "t"}] * 4}, "at most 3"),
    ({"live": [{**LIVE, "starts_at": "2026-12-03 19:30"}]}, "+08:00"),
    ({"live": [{**LIVE, "starts_at": "2026-12-03T19:30:00+00:00"}]}, "+08:00"),
    ({"live": [{**LIVE, "url": "http://live.sh.gov.cn/1"}]}, "https"),
    ({"live": [{**LIVE, "url": "javascript:alert(1)"}]}, "https"),
    ({"live": [{**LIVE, "title": "直" * 61}]}, "title"),
    ({"live": ["x"]}, "mapping"),
])
def test_bad_fields_are_problems(item: dict, fragment: str):
    _, problems = guides(item)
    assert any(fragment in p for p in problems), problems


def test_article_documents_round_trip_and_stay_unchanged_without_guides():
    base = {"id": "m.faq.01", "matter": "m", "department": "d", "aspect": "faq", "title": "t", "answer": "a"}
    plain = Article(**base)
    assert "videos" not in plain.to_doc() and "live" not in plain.to_doc()  # content hashes of old articles hold
    rich = Article(**base, videos=(VideoGuide(VIDEO_ID, "v", 3.0),), live=(LiveSession("l", LIVE["starts_at"],
                                                                                         LIVE["url"]),))
    doc = rich.to_doc() | {"_id": "m.faq.01"}
    assert doc["videos"] == [{"media": VIDEO_ID, "title": "v", "duration": 3.0}]
    assert Article.from_doc(doc) == rich


def test_past_sessions_are_hidden_and_the_rest_sorted():
    at = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    sessions = (LiveSession("晚", "2026-12-05T10:00:00+08:00", LIVE["url"]),
                LiveSession("早", "2026-12-04T10:00:00+08:00", LIVE["url"]),
                LiveSession("正在", "2026-12-03T11:00:00+08:00", LIVE["url"]),
                LiveSession("过去", "2026-12-02T10:00:00+08:00", LIVE["url"]))
    assert [s.title for s in upcoming(sessions, at)] == ["正在", "早", "晚"]


def test_captions_must_be_webvtt_with_cues():
    good = "\ufeffWEBVTT - 办事指南\r\n\r\n1\r\n00:00.000 --> 00:01.000 align:start\r\n第一步\r\n"
    assert check_captions(good.encode(), 1024).startswith("WEBVTT")
    assert check_captions(b"WEBVTT\n\n01:00:00.000 --> 01:00:02.500\nx\n", 1024)
    for bad in (b"WEBVTT\n\nno cues here\n", b"1\n00:00:01,000 --> 00:00:02,000\nsrt\n",
                b"WEBVTT\n\n00:00:01,000 --> 00:00:02,000\ncomma\n", b"WEBVTT\n\n00:02.000 --> 00:01.000\nback\n",
                b"\xff\xfeW\x00", b"WEBVTTX\n\n00:00.000 --> 00:01.000\nx\n"):
        with pytest.raises(ApiError) as exc:
            check_captions(bad, 1024)
        assert exc.value.code == "bad_captions" and exc.value.status == 422
    with pytest.raises(ApiError) as exc:
        check_captions(b"WEBVTT\n" + b"x" * 2000, 1024)
    assert exc.value.status == 413


def test_videos_are_recognised_by_their_bytes():
    assert sniff_video(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00") == "mp4"
    assert sniff_video(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00") == "mov"
    assert sniff_video(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm") == "webm"
    assert sniff_video(b"\x00\x00\x00\x1cftypheic") is None
    assert sniff_video(b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska") is None
    assert sniff_video(b"<html>") is None


def test_scaling_keeps_the_short_side_at_most_the_limit():
    assert "min(720,ih)" in scale_filter(720) and "min(720,iw)" in scale_filter(720)

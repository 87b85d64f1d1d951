"""Video guides and live explanations of an article (`videos`, `live` in docs/kb-format.md): read and check."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_VIDEOS = 3
MAX_LIVE = 5
MAX_TITLE = 60
LIVE_GRACE = dt.timedelta(hours=2)  # a session that started less long ago may still be running
_VIDEO_ID = re.compile(r"^[0-9a-f]{32}$")  # the id of `POST /api/v1/videos`


@dataclass(frozen=True)
class VideoGuide:
    """A short video guide uploaded through the media store (`media` = its video id)."""

    media: str
    title: str
    duration: float | None = None


@dataclass(frozen=True)
class LiveSession:
    """A scheduled live explanation: its title, start (ISO 8601 with +08:00) and https link."""

    title: str
    starts_at: str
    url: str

    def start(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.starts_at)


def _title(item: dict, problems: list[str], what: str) -> str:
    title = str(item.get("title") or "").strip()
    if not title or len(title) > MAX_TITLE:
        problems.append(f"{what} needs a title of 1-{MAX_TITLE} characters")
    return title


def _video(item: Any, problems: list[str]) -> VideoGuide | None:
    if not isinstance(item, dict):
        problems.append("videos: each video is a mapping with `media` and `title`")
        return None
    media = str(item.get("media") or "")
    if not _VIDEO_ID.match(media):
        problems.append(f"videos: media {media!r} is not a video id (32 hex digits from POST /api/v1/videos)")
    title = _title(item, problems, "videos: a video")
    duration = item.get("duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float)
                                 or not 0 < duration <= 3600):
        problems.append(f"videos: duration {duration!r} is not a number of seconds (0-3600]")
        duration = None
    return VideoGuide(media, title, float(duration) if duration is not None else None)


def _live(item: Any, problems: list[str]) -> LiveSession | None:
    if not isinstance(item, dict):
        problems.append("live: each session is a mapping with `title`, `starts_at` and `url`")
        return None
    title = _title(item, problems, "live: a session")
    starts_at = str(item.get("starts_at") or "").strip()
    try:
        start = dt.datetime.fromisoformat(starts_at)
        if start.utcoffset() != dt.timedelta(hours=8):
            raise ValueError("offset")
    except ValueError:
        problems.append(f"live: starts_at {starts_at!r} is not an ISO date-time with +08:00")
    url = str(item.get("url") or "").strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in url):
        problems.append(f"live: url {url!r} is not an https link")
    return LiveSession(title, starts_at, url)


def read_guides(item: dict, problems: list[str]) -> dict[str, Any]:
    """The `videos` and `live` of an article mapping (empty when absent); problems are appended."""
    out: dict[str, Any] = {"videos": (), "live": ()}
    for key, limit, read in (("videos", MAX_VIDEOS, _video), ("live", MAX_LIVE, _live)):
        raw = item.get(key)
        if raw is None:
            continue
        if not isinstance(raw, list) or len(raw) > limit:
            problems.append(f"{key} must be a list of at most {limit}")
            continue
        out[key] = tuple(x for x in (read(i, problems) for i in raw) if x is not None)
    return out


def guides_from_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """`videos` and `live` of a stored article document."""
    videos = tuple(VideoGuide(str(v.get("media") or ""), str(v.get("title") or ""), v.get("duration"))
                   for v in doc.get("videos") or () if isinstance(v, dict))
    live = tuple(LiveSession(str(s.get("title") or ""), str(s.get("starts_at") or ""), str(s.get("url") or ""))
                 for s in doc.get("live") or () if isinstance(s, dict))
    return {"videos": videos, "live": live}


def upcoming(live: tuple[LiveSession, ...], at: dt.datetime) -> list[LiveSession]:
    """The sessions not yet over at `at` (an aware time; started less than `LIVE_GRACE` ago), soonest first."""
    future = []
    for session in live:
        try:
            if session.start() > at - LIVE_GRACE:
                future.append(session)
        except ValueError:
            continue
    return sorted(future, key=LiveSession.start)

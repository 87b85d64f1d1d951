"""Answer cards of video guides: signed links to a ready video, its poster and captions (no token needed).

The links are `media.urls.signed_url` links valid `MEDIA_VIDEO_URL_TTL_S` (7 days by default): whoever
holds the answer may play the video; the ids are random and the signature cannot be forged.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from core.settings import get_settings
from media.urls import signed_url

READY = "ready"


def links(job: dict[str, Any]) -> dict[str, Any]:
    """Signed links to a ready video job's MP4 (`src`), poster and captions, and their expiry."""
    settings = get_settings()
    secret, ttl = settings.token_secret, settings.media.video_url_ttl_s
    src, exp = signed_url(secret, job["media_id"], ttl)
    return {"src": src, "poster": signed_url(secret, job["media_id"], ttl, thumb=True)[0],
            "captions": signed_url(secret, job["captions_id"], ttl)[0] if job.get("captions_id") else None,
            "expires_at": exp}


class VideoCards:
    """The answer card of a video guide by its id (implements `bridge.domain.ports.VideoCards`)."""

    def __init__(self, jobs: AsyncCollection) -> None:
        self.jobs = jobs

    async def card(self, video_id: str, title: str = "") -> dict[str, Any] | None:
        """`{type: video, title, src, poster, captions, duration, expires_at}`; None unless ready."""
        if not isinstance(video_id, str) or len(video_id) > 64:
            return None
        job = await self.jobs.find_one({"_id": video_id})
        if job is None or job["state"] != READY:
            return None
        signed = links(job)
        return {"type": "video", "title": title or job["title"], "src": signed["src"], "poster": signed["poster"],
                "captions": signed["captions"], "duration": job["duration_s"], "expires_at": signed["expires_at"]}

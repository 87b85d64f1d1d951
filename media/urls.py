"""Where clients fetch stored media (the routes of `media.routes`)."""

from __future__ import annotations


def media_url(media_id: str, *, thumb: bool = False) -> str:
    """The download address of a media item, or of its thumbnail."""
    return f"/api/v1/media/{media_id}" + ("?thumb=1" if thumb else "")

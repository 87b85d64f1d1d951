"""Turn uploaded bytes into a stored media item: detect the kind, validate, re-encode, store."""

from __future__ import annotations

import asyncio
from typing import Any

from core.errors import ApiError
from core.ratelimit import WindowQuota
from core.settings import MediaSettings, get_settings
from media.files import process_pdf
from media.images import process_image
from media.sniff import FILE, IMAGE, VOICE, sniff
from media.store import MediaStore
from media.urls import media_url
from media.voice import process_voice

_slots: dict[int, asyncio.Semaphore] = {}
QUOTAS = "user_quotas"  # per-citizen counters shared with the desk (core/db.py)
DAY = 86400.0


def _semaphore(limits: MediaSettings) -> asyncio.Semaphore:
    sem = _slots.get(id(asyncio.get_running_loop()))
    if sem is None:
        sem = _slots[id(asyncio.get_running_loop())] = asyncio.Semaphore(limits.upload_concurrency)
    return sem


def prepare(data: bytes, limits: MediaSettings | None = None) -> dict[str, Any]:
    """Validate and re-encode (CPU-bound, run in a thread): the fields MediaStore.put needs."""
    limits = limits or get_settings().media
    if not data:
        raise ApiError(400, "empty_file", "文件为空")
    sniffed = sniff(data)
    if sniffed is None:
        raise ApiError(415, "unsupported_type", "不支持该文件类型，请发送图片（PNG/JPEG）、语音或 PDF 文件")
    if sniffed.kind == IMAGE:
        return process_image(data, limits).stored()
    if sniffed.kind == VOICE:
        return process_voice(data, limits).stored()
    assert sniffed.kind == FILE
    return process_pdf(data, limits).stored()


async def accept_upload(
    store: MediaStore,
    data: bytes,
    *,
    conversation_id: str,
    uploader: dict[str, Any],
    filename: str | None = None,
    limits: MediaSettings | None = None,
    quota: bool | None = None,
) -> dict[str, Any]:
    """Validate off the event loop (bounded concurrency), then store; returns the metadata document.

    `quota`: count the upload against the uploader's daily caps (default: citizens only).
    """
    limits = limits or get_settings().media
    if uploader.get("role") == "user" if quota is None else quota:
        await take_daily_quota(WindowQuota(store.db[QUOTAS]), str(uploader["id"]), len(data))
    async with _semaphore(limits):
        fields = await asyncio.to_thread(prepare, data, limits)
    extra = fields.pop("extra")
    if filename:
        extra["filename"] = filename[:200]
    extra["original_size"] = len(data)
    return await store.put(conversation_id=conversation_id, uploader=uploader, extra=extra, **fields)


async def take_daily_quota(quota: WindowQuota, user_id: str, size: int) -> None:
    """Count one upload of `size` bytes for a citizen today; `quota_exceeded` past the daily caps."""
    settings = get_settings()
    if not await quota.take(f"uploads:{user_id}", settings.user_uploads_per_day, DAY):
        raise ApiError(429, "quota_exceeded", "今日上传文件数量已达上限，请明天再试", scope="uploads_per_day")
    if not await quota.take(f"upload_bytes:{user_id}", settings.user_upload_bytes_per_day, DAY, size):
        await quota.take(f"uploads:{user_id}", settings.user_uploads_per_day, DAY, -1)
        raise ApiError(429, "quota_exceeded", "今日上传文件总大小已达上限，请明天再试", scope="upload_bytes_per_day")


def public_view(doc: dict[str, Any]) -> dict[str, Any]:
    """What clients see of a media document."""
    view = {
        "media_id": doc["_id"],
        "type": doc["type"],
        "mime": doc["mime"],
        "size": doc["size"],
        "conversation_id": doc["conversation_id"],
        "url": media_url(doc["_id"]),
    }
    if doc.get("thumb_id"):
        view["thumb_url"] = media_url(doc["_id"], thumb=True)
    for key in ("width", "height", "duration_s", "pages", "filename"):
        if doc.get(key) is not None:
            view[key] = doc[key]
    return view

"""Video guide jobs: an accepted upload is transcoded in the background; its state lives in `media_videos`.

A job document: `_id` (the video id articles cite), `state` (`processing` | `ready` | `failed`), `reason`
(Chinese, when failed), `title`, `source_format`, `original_size`, `duration_s`, `width`, `height`,
`uploader`, `process` (the bridge process transcoding it), `created_at`, `updated_at`, and once ready
`media_id` (the MP4, with the poster as its thumbnail) and `captions_id` (WebVTT, or null).
The stored items belong to the pseudo-conversation `kb`: nobody reads them with a token, only with the
signed links handed out in answer cards (`card`). They carry no `created_at` date, so media retention
(TTL index and sweeper) leaves them alone: they live as long as the knowledge base cites them.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from core.clock import iso, now
from core.settings import get_settings
from media.store import MediaStore
from media.video import Probe, transcode
from media.video_cards import READY

log = logging.getLogger(__name__)
KB_KEY = "kb"  # the pseudo-conversation of knowledge-base media (bridge/domain/retention.py skips it)
PROCESSING, FAILED = "processing", "failed"
FAILED_REASON = "视频转码失败，请检查文件后重新上传"
INTERRUPTED_REASON = "转码因服务重启而中断，请重新上传"


class VideoJobs:
    """Start, run and describe the transcoding jobs of video guides."""

    def __init__(self, store: MediaStore, jobs: AsyncCollection, process_id: str) -> None:
        self.store = store
        self.jobs = jobs
        self.process_id = process_id
        self._tasks: set[asyncio.Task] = set()
        self._slots: asyncio.Semaphore | None = None

    async def start(self, workdir: Path, source: Path, size: int, fmt: str, probed: Probe,  # noqa: PLR0913
                    captions: str | None, title: str, uploader: dict[str, Any]) -> dict[str, Any]:
        """Record a validated upload as `processing` and transcode it in the background (owns `workdir`)."""
        at = now()
        job = {"_id": uuid.uuid4().hex, "state": PROCESSING, "reason": None, "title": title,
               "source_format": fmt, "original_size": size,
               "duration_s": round(probed.duration_s, 3), "width": probed.width, "height": probed.height,
               "uploader": uploader, "process": self.process_id, "media_id": None, "captions_id": None,
               "created_at": at, "updated_at": at}
        try:
            await self.jobs.insert_one(job)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        task = asyncio.create_task(self._run(job, workdir, source, probed, captions), name=f"video-{job['_id']}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _run(self, job: dict[str, Any], workdir: Path, source: Path, probed: Probe,
                   captions: str | None) -> None:
        limits = get_settings().media
        if self._slots is None:
            self._slots = asyncio.Semaphore(limits.video_concurrency)
        try:
            async with self._slots:
                out, poster = await transcode(source, workdir, probed, limits.video_max_side,
                                              limits.video_transcode_timeout_s)
            await self._store(job, out, poster, captions)
        except asyncio.CancelledError:
            await self._set(job["_id"], FAILED, INTERRUPTED_REASON)
            raise
        except Exception:  # noqa: BLE001 - any failure is the job's, reported in Chinese
            log.warning("video transcoding failed %s", job["_id"], exc_info=True)
            await self._set(job["_id"], FAILED, FAILED_REASON)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def _store(self, job: dict[str, Any], out: Path, poster: Path, captions: str | None) -> None:
        extra = {"created_at": None, "stored_at": now(), "video_id": job["_id"],
                 "duration_s": job["duration_s"], "title": job["title"]}
        data, thumb = await asyncio.to_thread(out.read_bytes), await asyncio.to_thread(poster.read_bytes)
        video = await self.store.put(conversation_id=KB_KEY, kind="video", mime="video/mp4", data=data,
                                     thumb=thumb, thumb_mime="image/jpeg", uploader=job["uploader"], extra=extra)
        captions_id = None
        if captions is not None:
            doc = await self.store.put(conversation_id=KB_KEY, kind="captions", mime="text/vtt; charset=utf-8",
                                       data=captions.encode(), uploader=job["uploader"], extra=extra)
            captions_id = doc["_id"]
        await self.jobs.update_one({"_id": job["_id"]}, {"$set": {
            "state": READY, "media_id": video["_id"], "captions_id": captions_id, "size": video["size"],
            "updated_at": now()}})
        log.info("video ready %s (%s bytes)", job["_id"], video["size"])

    async def _set(self, video_id: str, state: str, reason: str) -> None:
        await self.jobs.update_one({"_id": video_id, "state": PROCESSING},
                                   {"$set": {"state": state, "reason": reason, "updated_at": now()}})

    async def get(self, video_id: str) -> dict[str, Any] | None:
        if not isinstance(video_id, str) or len(video_id) > 64:
            return None
        return await self.jobs.find_one({"_id": video_id})

    async def abandon(self, live_processes: set[str]) -> int:
        """Mark failed the jobs left `processing` by bridge processes that stopped (their task died with them)."""
        res = await self.jobs.update_many(
            {"state": PROCESSING, "process": {"$nin": sorted(live_processes | {self.process_id})}},
            {"$set": {"state": FAILED, "reason": INTERRUPTED_REASON, "updated_at": now()}})
        return res.modified_count

    async def stop(self) -> None:
        """Cancel running transcodes (their jobs end `failed`: interrupted)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def public_job(job: dict[str, Any], links: dict[str, Any] | None = None) -> dict[str, Any]:
    """What staff see of a job (with signed links once ready)."""
    view = {"video_id": job["_id"], "state": job["state"], "reason": job.get("reason"), "title": job["title"],
            "duration_s": job["duration_s"], "width": job["width"], "height": job["height"],
            "source_format": job["source_format"], "original_size": job["original_size"],
            "created_at": iso(job["created_at"]), "updated_at": iso(job["updated_at"])}
    if job["state"] == READY:
        view.update({"media_id": job["media_id"], "captions_id": job.get("captions_id"), "size": job.get("size"),
                     **(links or {})})
    return view

"""HTTP routes of video guides: upload (validated, then transcoded in the background) and job state.

The transcoded video, its poster and captions are ordinary media items, read through
`GET /api/v1/media/{media_id}` (Range, 206) with the signed links of `GET /api/v1/videos/{video_id}`
and of the answer cards.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from core.errors import ApiError
from core.http_routes import RouteTable
from core.settings import MediaSettings, get_settings
from media.port import DeskPort
from media.store import MediaStore
from media.video import NOT_VIDEO, check_captions, probe, sniff_video
from media.video_cards import READY, links
from media.video_jobs import VideoJobs, public_job

JOBS_KEY = web.AppKey("video_jobs", VideoJobs)
DESK_KEY = web.AppKey("video_desk", DeskPort)
AUTHORS = ("trainer", "supervisor", "admin")
CHUNK = 256 * 1024
table = RouteTable("media")


@dataclass(frozen=True)
class Upload:
    """The uploaded video, saved in the job's work directory."""

    path: Path
    size: int
    head: bytes


class VideoForm(BaseModel):
    """The multipart form of a video guide upload."""

    file: bytes = Field(json_schema_extra={"format": "binary"}, description="MP4, MOV or WebM video")
    captions: bytes | None = Field(default=None, json_schema_extra={"format": "binary"},
                                   description="optional WebVTT captions")
    title: str = Field(default="", max_length=100, description="the video's title")


class VideoOut(BaseModel):
    """A video guide's job: `processing`, `ready` (with signed links) or `failed` (with a Chinese reason)."""

    model_config = ConfigDict(extra="allow")
    video_id: str
    state: str
    reason: str | None = None
    title: str
    duration_s: float
    src: str | None = None
    poster: str | None = None
    captions: str | None = None


async def _author(request: web.Request) -> Any:
    principal = await request.app[DESK_KEY].request_principal(request)
    if principal.role not in AUTHORS:
        raise ApiError(403, "forbidden", "仅培训师、班长和管理员可以上传视频指南")
    return principal


def _too_large(limit: int, unit: int, noun: str) -> ApiError:
    return ApiError(413, "too_large", f"{noun}不能超过 {limit // unit} {'MB' if unit > 1024 else 'KB'}")


async def _save_file(part: Any, path: Path, limits: MediaSettings) -> tuple[int, bytes]:
    """Stream the `file` part to disk, refusing past the size cap: (its size, its first 64 bytes)."""
    size, head = 0, b""
    with path.open("wb") as out:  # noqa: ASYNC230 - local temp file, written in 256 KiB chunks
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            if size > limits.video_bytes:
                raise _too_large(limits.video_bytes, 1024 * 1024, "视频")
            head = (head + chunk)[:64] if len(head) < 64 else head
            out.write(chunk)
    return size, head


async def _read_capped(part: Any, cap: int) -> bytes:
    """The captions part, refused past its size cap while reading."""
    buf = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        buf.extend(chunk)
        if len(buf) > cap:
            raise _too_large(cap, 1024, "字幕文件")
    return bytes(buf)


async def _read_form(request: web.Request, workdir: Path, limits: MediaSettings) -> tuple[Upload, bytes | None, str]:
    """(the saved upload, captions bytes, title) of the multipart form."""
    if request.content_length is not None and request.content_length > limits.video_bytes + 1024 * 1024:
        raise _too_large(limits.video_bytes, 1024 * 1024, "视频")
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError) as exc:
        raise ApiError(400, "bad_request", "请以 multipart/form-data 上传视频") from exc
    source: Upload | None = None
    captions, title = None, ""
    while (part := await reader.next()) is not None:
        if part.name == "file":
            path = workdir / "source"
            source = Upload(path, *await _save_file(part, path, limits))
        elif part.name == "captions":
            captions = await _read_capped(part, limits.video_captions_bytes)
        elif part.name == "title":
            title = (await part.read(decode=True)).decode("utf-8", "replace").strip()[:100]
        else:
            await part.release()
    if source is None:
        raise ApiError(400, "bad_request", "缺少视频文件")
    return source, captions, title


@table.post("/api/v1/videos", summary="Upload a video guide (transcoded in the background)", auth=AUTHORS,
            body=VideoForm, body_kind="multipart", status=202, response=VideoOut,
            errors={400: "no file, not multipart", 403: "not a trainer, supervisor or admin", 413: "too large",
                    415: "not MP4, MOV or WebM", 422: "does not decode, too long, or bad captions"})
async def upload(request: web.Request) -> web.Response:
    """POST /api/v1/videos — multipart `file`, optional `captions` (WebVTT) and `title`; 202 `processing`."""
    principal = await _author(request)
    limits = get_settings().media
    workdir = Path(tempfile.mkdtemp(prefix="bangban-video-"))
    try:
        source, captions_data, title = await _read_form(request, workdir, limits)
        if source.size == 0:
            raise ApiError(400, "empty_file", "文件为空")
        fmt = sniff_video(source.head)
        if fmt is None:
            raise ApiError(415, "unsupported_type", NOT_VIDEO)
        captions = None if not captions_data else check_captions(captions_data, limits.video_captions_bytes)
        probed = await probe(source.path, limits.video_seconds)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    uploader = {"id": principal.id, "role": principal.role, "name": getattr(principal, "name", None)}
    job = await request.app[JOBS_KEY].start(workdir, source.path, source.size, fmt, probed, captions,
                                            title or "视频指南", uploader)
    return web.json_response(public_job(job), status=202)


@table.get("/api/v1/videos/{video_id}", summary="A video guide's state, with signed links once ready",
           auth=AUTHORS, response=VideoOut, errors={403: "not a trainer, supervisor or admin", 404: "unknown"})
async def state(request: web.Request) -> web.Response:
    """GET /api/v1/videos/{video_id} — `processing`, `ready` (links to video, poster, captions) or `failed`."""
    await _author(request)
    job = await request.app[JOBS_KEY].get(request.match_info["video_id"])
    if job is None:
        raise ApiError(404, "not_found", "视频不存在")
    signed = links(job) if job["state"] == READY else None
    return web.json_response(public_job(job, signed), headers={"Cache-Control": "no-store"})


async def _open(app: web.Application) -> None:
    desk = app[DESK_KEY]
    jobs = VideoJobs(MediaStore(desk.collections.db, desk.collections.media), desk.collections.db["media_videos"],
                     desk.process_id)
    app[JOBS_KEY] = jobs
    await jobs.abandon(await desk.live_process_ids())


async def _close(app: web.Application) -> None:
    if JOBS_KEY in app:
        await app[JOBS_KEY].stop()


def setup(app: web.Application, desk: DeskPort) -> None:
    """Add the video guide routes; `desk` authenticates."""
    app[DESK_KEY] = desk
    app.on_startup.append(_open)
    app.on_cleanup.append(_close)
    table.install(app)

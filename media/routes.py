"""HTTP routes of the media package: upload and download (with Range)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from core.audit import audit_read
from core.errors import ApiError, json_error
from core.http_routes import USER, RouteTable
from core.settings import get_settings
from media.port import DeskPort
from media.ranges import RangeNotSatisfiable, parse_range
from media.store import MediaStore
from media.uploads import accept_upload, public_view

log = logging.getLogger(__name__)
STORE_KEY = web.AppKey("media_store", MediaStore)
DESK_KEY = web.AppKey("media_desk", DeskPort)
AUDIT_ROLES = {"supervisor", "admin"}
table = RouteTable("media")


class UploadForm(BaseModel):
    """The multipart form of an upload."""

    conversation_id: str = Field(min_length=1, max_length=100)
    file: bytes = Field(json_schema_extra={"format": "binary"}, description="image, voice message or PDF")


class MediaOut(BaseModel):
    """What clients see of a stored file."""

    model_config = ConfigDict(extra="allow")
    media_id: str
    type: str
    mime: str
    size: int
    conversation_id: str
    url: str
    thumb_url: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    pages: int | None = None
    filename: str | None = None


class DownloadQuery(BaseModel):
    thumb: str = Field(default="", description="1 or true: the thumbnail of an image")


def _store(app: web.Application) -> MediaStore:
    return app[STORE_KEY]


async def _open_store(app: web.Application) -> None:
    collections = app[DESK_KEY].collections
    app[STORE_KEY] = MediaStore(collections.db, collections.media)


async def _principal(request: web.Request) -> Any:
    return await request.app[DESK_KEY].request_principal(request)


async def _may_use(request: web.Request, principal: Any, conversation_id: str) -> bool:
    return await request.app[DESK_KEY].conversation(principal, conversation_id) is not None


def _fail(exc: ApiError) -> web.Response:
    return json_error(exc.status, exc.code, exc.message, **exc.extra)


async def _read_form(request: web.Request, max_bytes: int) -> tuple[str | None, bytes | None, str | None]:
    """conversation_id, file bytes and file name of a multipart upload, read with a size cap."""
    if request.content_length is not None and request.content_length > max_bytes + 64 * 1024:
        raise ApiError(413, "too_large", f"文件不能超过 {max_bytes // (1024 * 1024)} MB")
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError) as exc:
        raise ApiError(400, "bad_request", "请以 multipart/form-data 上传文件") from exc
    conversation_id = data = filename = None
    while True:
        part = await reader.next()
        if part is None:
            break
        if part.name == "conversation_id":
            conversation_id = (await part.read(decode=True)).decode("utf-8", "replace").strip()[:100]
        elif part.name == "file":
            filename = part.filename
            buf = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                buf.extend(chunk)
                if len(buf) > max_bytes:
                    raise ApiError(413, "too_large", f"文件不能超过 {max_bytes // (1024 * 1024)} MB")
            data = bytes(buf)
        else:
            await part.release()
    return conversation_id, data, filename


@table.post("/api/v1/media", summary="Upload a file to a conversation", auth=USER, body=UploadForm,
            body_kind="multipart", status=201, response=MediaOut,
            errors={400: "no conversation or file", 403: "not the caller's conversation", 413: "file too large",
                    415: "file type not accepted", 422: "file content refused"})
async def upload(request: web.Request) -> web.Response:
    """POST /api/v1/media — multipart `conversation_id` + `file`; 201 with the media description."""
    try:
        principal = await _principal(request)
        conversation_id, data, filename = await _read_form(request, get_settings().media.max_upload_bytes)
        if not conversation_id or data is None:
            raise ApiError(400, "bad_request", "缺少会话编号或文件")
        if not await _may_use(request, principal, conversation_id):
            raise ApiError(403, "forbidden", "您无权向该会话发送文件")
        uploader = {"id": principal.id, "role": principal.role, "name": getattr(principal, "name", None)}
        doc = await accept_upload(
            _store(request.app), data, conversation_id=conversation_id, uploader=uploader, filename=filename
        )
    except ApiError as exc:
        return _fail(exc)
    log.info("media stored %s %s %s bytes", doc["_id"], doc["type"], doc["size"])
    return web.json_response(public_view(doc), status=201)


def _may_read(principal: Any, doc: dict[str, Any]) -> bool:
    """Recordings of calls are for audit: supervisors and admins only."""
    return doc["type"] != "recording" or principal.role in AUDIT_ROLES


def _headers(doc: dict[str, Any], thumb: bool) -> dict[str, str]:
    mime = doc["thumb_mime"] if thumb else doc["mime"]
    etag = f'"{doc["sha256"][:32]}{"-t" if thumb else ""}"'
    headers = {
        "Content-Type": mime,
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Cache-Control": "private, max-age=86400",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if doc["type"] == "file" and not thumb:
        name = doc.get("filename") or f"{doc['_id']}.pdf"
        headers["Content-Disposition"] = (
            f"attachment; filename=\"{doc['_id']}.pdf\"; filename*=UTF-8''{quote(name)}"
        )
    else:
        headers["Content-Disposition"] = "inline"
    return headers


@table.get("/api/v1/media/{media_id}", summary="Download a file or its thumbnail (HTTP Range supported)",
           auth=USER, query=DownloadQuery, content="*/*",
           errors={206: ("a byte range", None), 304: ("not modified", None), 404: "unknown or not allowed",
                   416: ("range not satisfiable", None)})
async def download(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/media/{media_id}[?thumb=1] — the bytes, with HTTP Range (206) support."""
    store = _store(request.app)
    try:
        principal = await _principal(request)
        doc = await store.get(request.match_info["media_id"])
        if (
            doc is None
            or not await _may_use(request, principal, doc["conversation_id"])
            or not _may_read(principal, doc)
        ):
            raise ApiError(404, "not_found", "文件不存在或您无权查看")
        thumb = request.query.get("thumb") in ("1", "true")
        if thumb and not doc.get("thumb_id"):
            raise ApiError(404, "not_found", "该文件没有缩略图")
    except ApiError as exc:
        return _fail(exc)
    # a player fetches a recording in ranges: one audit entry per playback (the request from byte 0)
    if doc["type"] == "recording" and request.headers.get("Range", "bytes=0-").startswith("bytes=0-"):
        await audit_read(store.db["audit"], principal, "recording", doc["_id"], conversation_id=doc["conversation_id"])
    headers = _headers(doc, thumb)
    size = doc["thumb_size"] if thumb else doc["size"]
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return web.Response(status=304, headers={"ETag": headers["ETag"]})
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range != headers["ETag"]:
        range_header = None
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        return web.Response(
            status=416, headers={"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"}
        )
    start, end = byte_range if byte_range else (0, size - 1)
    response = web.StreamResponse(status=206 if byte_range else 200, headers=headers)
    response.content_length = end - start + 1 if size else 0
    if byte_range:
        response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    await response.prepare(request)
    if request.method != "HEAD" and size:
        async for chunk in store.stream(doc, thumb=thumb, start=start, end=end):
            await response.write(chunk)
    await response.write_eof()
    return response


def setup(app: web.Application, desk: DeskPort) -> None:
    """Add the media routes to the bridge's application; `desk` authenticates and authorizes."""
    app[DESK_KEY] = desk
    app.on_startup.append(_open_store)
    table.install(app)

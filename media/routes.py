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
from core.own_media import FORM_VALUE, own_key, owner_of
from core.settings import get_settings
from media.port import DeskPort
from media.ranges import RangeNotSatisfiable, parse_range
from media.store import MediaStore
from media.uploads import accept_upload, public_view
from media.urls import check_signed, signed_url

log = logging.getLogger(__name__)
STORE_KEY = web.AppKey("media_store", MediaStore)
DESK_KEY = web.AppKey("media_desk", DeskPort)
AUDIT_ROLES = {"supervisor", "admin"}
table = RouteTable("media")


class UploadForm(BaseModel):
    """The multipart form of an upload."""

    conversation_id: str = Field(min_length=1, max_length=100,
                                 description="the conversation, or `own`: a file of the caller's own without "
                                             "one (photos of offline helpers' ledger problems)")
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
    exp: str = Field(default="", description="expiry of a signed link (Unix seconds), from .../link")
    sig: str = Field(default="", description="signature of a signed link; with exp, no token is needed")


class LinkOut(BaseModel):
    """Short-lived signed links for `<img>`/`<audio>`, which cannot send an Authorization header."""

    url: str
    thumb_url: str | None = None
    expires_at: int = Field(description="Unix seconds")


def _store(app: web.Application) -> MediaStore:
    return app[STORE_KEY]


async def _open_store(app: web.Application) -> None:
    collections = app[DESK_KEY].collections
    app[STORE_KEY] = MediaStore(collections.db, collections.media)


async def _principal(request: web.Request) -> Any:
    return await request.app[DESK_KEY].request_principal(request)


async def _may_use(request: web.Request, principal: Any, conversation_id: str) -> bool:
    return await request.app[DESK_KEY].conversation(principal, conversation_id) is not None


async def _may_see(request: web.Request, principal: Any, doc: dict[str, Any]) -> bool:
    """A conversation's file to whom may use the conversation; an own file to its owner and cited readers."""
    owner = owner_of(doc["conversation_id"])
    if owner is not None:
        return await request.app[DESK_KEY].may_read_own(principal, owner, doc["_id"])
    return await _may_use(request, principal, doc["conversation_id"]) and _may_read(principal, doc)


async def _upload_key(request: web.Request, principal: Any, conversation_id: str) -> str:
    """Where an upload goes: the conversation, or the caller's own files (403 when not allowed)."""
    if conversation_id == FORM_VALUE:
        if not await request.app[DESK_KEY].may_upload_own(principal):
            raise ApiError(403, "forbidden", "您无权上传个人文件")
        return own_key(principal.id)
    if not await _may_use(request, principal, conversation_id):
        raise ApiError(403, "forbidden", "您无权向该会话发送文件")
    return conversation_id


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


@table.post("/api/v1/media", summary="Upload a file to a conversation (or an own file: conversation_id=own)",
            auth=USER, body=UploadForm,
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
        conversation_id = await _upload_key(request, principal, conversation_id)
        uploader = {"id": principal.id, "role": principal.role, "name": getattr(principal, "name", None)}
        doc = await accept_upload(  # own files count against the daily caps of citizens' uploads
            _store(request.app), data, conversation_id=conversation_id, uploader=uploader, filename=filename,
            quota=True if owner_of(conversation_id) else None,
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


async def _readable(request: web.Request, thumb: bool) -> dict[str, Any]:
    """The item the caller may read: by a valid signed link, else by the caller's own rights."""
    media_id = request.match_info["media_id"]
    if "sig" in request.query or "exp" in request.query:
        settings = get_settings()
        refused = check_signed(settings.token_secret, media_id, thumb, request.query.get("exp", ""),
                               request.query.get("sig", ""))
        if refused:
            raise ApiError(403 if refused == "link_expired" else 401, refused)
        doc = await _store(request.app).get(media_id)
    else:
        principal = await _principal(request)
        doc = await _store(request.app).get(media_id)
        if doc is not None and not await _may_see(request, principal, doc):
            doc = None
    if doc is None:
        raise ApiError(404, "not_found", "文件不存在或您无权查看")
    if thumb and not doc.get("thumb_id"):
        raise ApiError(404, "not_found", "该文件没有缩略图")
    return doc


async def _audit_recording(request: web.Request, doc: dict[str, Any]) -> None:
    """Record a staff read of a call recording (who, which, which conversation)."""
    await audit_read(_store(request.app).db["audit"], await _principal(request), "recording", doc["_id"],
                     conversation_id=doc["conversation_id"])


@table.get("/api/v1/media/{media_id}/link", summary="Signed links to a file and its thumbnail (short-lived)",
           auth=USER, response=LinkOut, errors={404: "unknown or not allowed"})
async def link(request: web.Request) -> web.Response:
    """Links valid `MEDIA_URL_TTL_S` seconds that need no token: for `<img>`, `<audio>` and downloads."""
    try:
        doc = await _readable(request, thumb=False)
    except ApiError as exc:
        return _fail(exc)
    if doc["type"] == "recording":  # a link to a recording is a staff read: audited
        await _audit_recording(request, doc)
    settings = get_settings()
    url, exp = signed_url(settings.token_secret, doc["_id"], settings.media_url_ttl_s)
    thumb = signed_url(settings.token_secret, doc["_id"], settings.media_url_ttl_s, thumb=True)[0] \
        if doc.get("thumb_id") else None
    return web.json_response({"url": url, "thumb_url": thumb, "expires_at": exp},
                             headers={"Cache-Control": "no-store"})


@table.get("/api/v1/media/{media_id}", summary="Download a file or its thumbnail (HTTP Range supported)",
           auth=USER, query=DownloadQuery, content="*/*",
           errors={206: ("a byte range", None), 304: ("not modified", None), 401: "no token, or a bad link",
                   403: "the signed link expired", 404: "unknown or not allowed",
                   416: ("range not satisfiable", None)})
async def download(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/media/{media_id}[?thumb=1] — the bytes, with HTTP Range (206) support.

    Authorized by `Authorization: Bearer`, or by a signed link (`?exp=…&sig=…` from `.../link`).
    """
    thumb = request.query.get("thumb") in ("1", "true")
    try:
        doc = await _readable(request, thumb)
    except ApiError as exc:
        return _fail(exc)
    store = _store(request.app)
    # a player fetches a recording in ranges: one audit entry per playback (the request from byte 0)
    if (doc["type"] == "recording" and "sig" not in request.query
            and request.headers.get("Range", "bytes=0-").startswith("bytes=0-")):
        await _audit_recording(request, doc)
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

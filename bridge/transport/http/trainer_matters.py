"""HTTP routes of matter authoring: list, get, create, edit, retire, import (dry run) and export of a matter."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bridge.trainer.matters import MatterError, MatterService
from bridge.transport.http.common import TRAINERS, app_context, ok, principal
from bridge.transport.http.models import Out, Records
from bridge.transport.http.trainer import DENIED
from core.errors import ApiError
from core.http_routes import RouteTable, body
from kb.guide import KINDS
from kb.matter_export import to_xlsx

table = RouteTable("trainer-matters", denied=DENIED)
READERS = TRAINERS + ("supervisor",)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_RE = "^(" + "|".join(KINDS) + ")$"
CODES = {400: "invalid_payload", 404: "not_found", 409: "invalid_state", 422: "invalid_payload"}
MAX_UPLOAD = 2 * 1024 * 1024


class OnlineEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    path: str = Field(default="", max_length=300)


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    hours: str = Field(default="", max_length=200)


class MatterGuideIn(BaseModel):
    """The `guide:` block (national 实施清单 fields), every field optional."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=500, pattern=r"^https://")
    code: str | None = Field(default=None, max_length=64)
    target: str | None = Field(default=None, max_length=500)
    legal_limit: str | None = Field(default=None, max_length=200)
    promised_limit: str | None = Field(default=None, max_length=200)
    fee: str | None = Field(default=None, max_length=500)
    hotline: str | None = Field(default=None, max_length=100)
    online_entry: OnlineEntryIn | None = None
    locations: list[LocationIn] | None = Field(default=None, max_length=50)


class MatterEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: str | None = Field(default=None, pattern=KIND_RE)
    department: str | None = Field(default=None, max_length=64)
    aliases: list[str] | None = Field(default=None, max_length=50)
    guide: MatterGuideIn | None = None


class MatterIn(MatterEditIn):
    id: str = Field(pattern=r"^[a-z0-9-]{2,64}$")
    name: str = Field(min_length=1, max_length=100)
    kind: str = Field(default="person", pattern=KIND_RE)
    department: str = Field(max_length=64)


class MatterImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=200, description=".json, .yml/.yaml or .xlsx")
    content: str = Field(min_length=1, max_length=3 * 1024 * 1024, description="the file, base64")
    matter: str = Field(default="", max_length=64, description="matter id when the file has none")
    department: str = Field(default="", max_length=64, description="department when the file has none")
    kind: str = Field(default="", max_length=16)


class MatterListQuery(BaseModel):
    q: str = Field(default="", max_length=100, description="part of the id or the name")


class MatterImportQuery(BaseModel):
    dry_run: Literal["0", "1"] = Field(default="0", description="1: only check and return the diff")


class MatterExportQuery(BaseModel):
    format: Literal["json", "xlsx"] = "json"


class MatterListOut(Out):
    matters: Records


class AuthoredMatterOut(Out):
    matter: dict


class MatterImportOut(Out):
    matter: str
    diff: dict
    errors: list[str]
    warnings: list[str]
    written: bool


def service(request: web.Request) -> MatterService:
    ctx = app_context(request)
    return MatterService(ctx.store, ctx.catalogue)


def refused(exc: MatterError) -> ApiError:
    message = exc.problems[0] if len(exc.problems) == 1 else "事项校验未通过。"
    return ApiError(exc.status, CODES.get(exc.status, "invalid_payload"), message, errors=exc.problems)


ERRORS = {400: "invalid payload, unknown department (Chinese message) or bad id", 404: "unknown matter",
          409: "the id is taken", 422: "the matter file does not pass the KB checks"}


@table.get("/api/v1/trainer/matters", summary="Matters with article, FAQ and alias counts and missing aspects",
           auth=READERS, query=MatterListQuery, response=MatterListOut)
async def list_matters(request: web.Request) -> web.Response:
    return ok({"matters": await service(request).list(request.query.get("q", "").strip())})


@table.post("/api/v1/trainer/matters", summary="Create a matter (catalogue line and KB file)", auth=TRAINERS,
            body=MatterIn, response=AuthoredMatterOut, errors=ERRORS)
async def create_matter(request: web.Request) -> web.Response:
    m = body(request, MatterIn)
    try:
        out = await service(request).create(principal(request), m.model_dump(exclude_none=True))
    except MatterError as exc:
        raise refused(exc) from None
    return ok({"matter": out})


@table.get("/api/v1/trainer/matters/{mid}", summary="A matter with its aliases, guide and articles", auth=READERS,
           response=AuthoredMatterOut, errors={404: "unknown matter"})
async def get_matter(request: web.Request) -> web.Response:
    try:
        return ok({"matter": await service(request).get(request.match_info["mid"])})
    except MatterError as exc:
        raise refused(exc) from None


@table.put("/api/v1/trainer/matters/{mid}", summary="Edit a matter's name, kind, department, aliases, guide",
           auth=TRAINERS, body=MatterEditIn, response=AuthoredMatterOut, errors=ERRORS)
async def edit_matter(request: web.Request) -> web.Response:
    m = body(request, MatterEditIn)
    try:
        out = await service(request).edit(principal(request), request.match_info["mid"],
                                          m.model_dump(exclude_none=True))
    except MatterError as exc:
        raise refused(exc) from None
    return ok({"matter": out})


@table.post("/api/v1/trainer/matters/{mid}/retire", summary="Retire a matter (kept in the files, not offered)",
            auth=TRAINERS, response=AuthoredMatterOut, errors=ERRORS)
async def retire_matter(request: web.Request) -> web.Response:
    try:
        return ok({"matter": await service(request).retire(principal(request), request.match_info["mid"])})
    except MatterError as exc:
        raise refused(exc) from None


@table.post("/api/v1/trainer/matters/import", summary="Import a matter file or guide file (dry_run=1: diff only)",
            auth=TRAINERS, body=MatterImportIn, query=MatterImportQuery, response=MatterImportOut, errors=ERRORS)
async def import_matter(request: web.Request) -> web.Response:
    m = body(request, MatterImportIn)
    try:
        content = base64.b64decode(m.content, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "invalid_payload", "文件内容须为 base64 编码。") from None
    if len(content) > MAX_UPLOAD:
        raise ApiError(400, "invalid_payload", "文件过大（上限 2 MB）。")
    defaults = {"id": m.matter, "department": m.department, "kind": m.kind}
    try:
        res = await service(request).import_file(principal(request), m.filename, content, defaults,
                                                 dry_run=request.query.get("dry_run") == "1")
    except MatterError as exc:
        raise refused(exc) from None
    return ok(res)


@table.get("/api/v1/trainer/matters/{mid}/export", summary="Export a matter as its JSON file or a guide sheet",
           auth=READERS, query=MatterExportQuery, content="application/json", also=(XLSX,),
           errors={404: "unknown matter"})
async def export_matter(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "xlsx"):
        raise ApiError(400, "invalid_payload", "format 只能是 json 或 xlsx。")
    mid = request.match_info["mid"]
    try:
        doc = service(request).export(mid)
    except MatterError as exc:
        raise refused(exc) from None
    disposition = {"Content-Disposition": f'attachment; filename="{mid}.{fmt}"'}
    if fmt == "xlsx":
        return web.Response(body=to_xlsx(doc), content_type=XLSX, headers=disposition)
    return web.Response(text=json.dumps(doc, ensure_ascii=False, indent=2), content_type="application/json",
                        headers=disposition)

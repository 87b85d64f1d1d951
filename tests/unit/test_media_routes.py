"""Upload and download routes against an in-process secantusdb, with a stand-in bridge context."""

from __future__ import annotations

import io

import aiohttp
import pytest
import pytest_asyncio
import secantus
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pymongo import AsyncMongoClient

from media import routes
from tests.unit.media_fakes import FakeDesk
from tests.unit.media_samples import jpeg_with_gps, minimal_pdf, png_bomb, png_bytes, tone

pytestmark = pytest.mark.asyncio

USER = {"Authorization": "Bearer u1:user"}
OTHER = {"Authorization": "Bearer u2:user"}
AGENT = {"Authorization": "Bearer a1:agent"}
SUPER = {"Authorization": "Bearer s1:supervisor"}


@pytest.fixture(scope="module")
def mongo_uri(tmp_path_factory):
    server = secantus.SecantusDBServer(storage_path=str(tmp_path_factory.mktemp("db")), port=0)
    server.start()
    yield server.uri
    server.stop()


@pytest_asyncio.fixture
async def client(mongo_uri):
    mongo = AsyncMongoClient(mongo_uri + ("&" if "?" in mongo_uri else "?") + "retryWrites=false")
    db = mongo["media_test"]
    desk = FakeDesk(db)
    desk.add("c1", "u1", "a1")
    app = web.Application()
    routes.setup(app, desk)
    async with TestClient(TestServer(app)) as test_client:
        test_client.db = db
        yield test_client
    await mongo.close()


def form(data: bytes, conversation_id: str = "c1", name: str = "x.bin") -> aiohttp.FormData:
    fd = aiohttp.FormData()
    fd.add_field("conversation_id", conversation_id)
    fd.add_field("file", io.BytesIO(data), filename=name, content_type="application/octet-stream")
    return fd


async def test_image_upload_download_and_thumb(client):
    resp = await client.post(
        "/api/v1/media", data=form(jpeg_with_gps((600, 400)), name="照片.jpg"), headers=USER
    )
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["type"] == "image" and body["mime"] == "image/jpeg" and body["width"] == 400
    mid = body["media_id"]
    got = await client.get(f"/api/v1/media/{mid}", headers=AGENT)
    assert got.status == 200 and got.headers["Content-Type"] == "image/jpeg"
    data = await got.read()
    assert len(data) == body["size"] and b"Camera Maker" not in data
    thumb = await client.get(f"/api/v1/media/{mid}?thumb=1", headers=USER)
    assert thumb.status == 200 and (await thumb.read())[:3] == b"\xff\xd8\xff"
    doc = await client.db.media.find_one({"_id": mid})
    assert doc["uploader"]["id"] == "u1" and doc["conversation_id"] == "c1"


async def test_range_requests(client):
    resp = await client.post("/api/v1/media", data=form(tone("wav", 3.0)), headers=USER)
    body = await resp.json()
    assert body["type"] == "voice" and abs(body["duration_s"] - 3.0) < 0.1
    url = f"/api/v1/media/{body['media_id']}"
    full = await (await client.get(url, headers=USER)).read()
    part = await client.get(url, headers={**USER, "Range": "bytes=10-99"})
    assert part.status == 206 and part.headers["Content-Range"] == f"bytes 10-99/{len(full)}"
    assert await part.read() == full[10:100]
    tail = await client.get(url, headers={**USER, "Range": "bytes=-5"})
    assert await tail.read() == full[-5:]
    bad = await client.get(url, headers={**USER, "Range": f"bytes={len(full)}-"})
    assert bad.status == 416


async def test_refusals_store_nothing(client):
    before = await client.db.media.count_documents({})
    files_before = await client.db["media_fs.files"].count_documents({})
    for data, code, status in [
        (b"plain text, not an image", "unsupported_type", 415),
        (png_bomb(20_000), "image_bomb", 422),
        (tone("wav", 61.0, rate=8000), "too_long", 422),
        (b"\x89PNG\r\n\x1a\n" + b"junk" * 20, "decode_failed", 422),
    ]:
        resp = await client.post("/api/v1/media", data=form(data), headers=USER)
        assert resp.status == status
        assert (await resp.json())["error"]["code"] == code
    assert await client.db.media.count_documents({}) == before
    assert await client.db["media_fs.files"].count_documents({}) == files_before


async def test_access_rules(client):
    resp = await client.post("/api/v1/media", data=form(minimal_pdf(), name="证明.pdf"), headers=USER)
    body = await resp.json()
    url = f"/api/v1/media/{body['media_id']}"
    assert (await client.get(url, headers=OTHER)).status == 404
    assert (await client.get(url)).status == 401
    ok = await client.get(url, headers=SUPER)
    assert ok.status == 200 and ok.headers["Content-Disposition"].startswith("attachment")
    assert (await client.post("/api/v1/media", data=form(png_bytes()), headers=OTHER)).status == 403
    assert (await client.get("/api/v1/media/nope", headers=USER)).status == 404
    missing = await client.post("/api/v1/media", data=form(png_bytes(), conversation_id=""), headers=USER)
    assert missing.status == 400
    err = (await missing.json())["error"]
    assert err["code"] == "bad_request" and err["message"]


async def test_own_files_are_scoped_to_their_uploader(client):
    volunteer, other = {"Authorization": "Bearer v1:volunteer"}, {"Authorization": "Bearer v2:volunteer"}
    refused = await client.post("/api/v1/media", data=form(png_bytes((40, 30)), conversation_id="own"), headers=USER)
    assert refused.status == 403
    resp = await client.post("/api/v1/media", data=form(png_bytes((40, 30)), conversation_id="own"),
                             headers=volunteer)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["conversation_id"] == "own:v1" and body["type"] == "image"
    assert await client.db["user_quotas"].find_one({"_id": {"$regex": "^uploads:v1:"}})  # daily caps apply
    url = f"/api/v1/media/{body['media_id']}"
    assert (await client.get(url, headers=volunteer)).status == 200
    for stranger in (other, USER, AGENT, SUPER):
        assert (await client.get(url, headers=stranger)).status == 404
        assert (await client.get(url + "/link", headers=stranger)).status == 404

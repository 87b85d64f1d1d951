"""What a message that attaches an upload carries: media's description of it (`media.attachments`)."""

from __future__ import annotations

import pytest
from pymongo import AsyncMongoClient

from core.errors import ApiError
from media.attachments import Attachments
from media.store import MediaStore
from tests.unit.media_fixtures import mongo_uri  # noqa: F401

UPLOADER = {"id": "u1", "role": "user", "name": "市民"}


async def test_describe_names_the_file_and_refuses_strangers(mongo_uri):  # noqa: F811 - fixture
    mongo = AsyncMongoClient(mongo_uri)
    try:
        db = mongo["media_attachments"]
        store = MediaStore(db, db["media"])
        pdf = await store.put(conversation_id="c1", kind="file", mime="application/pdf", data=b"%PDF-1.4 x",
                              uploader=UPLOADER, extra={"filename": "户籍证明.pdf", "pages": 1})
        img = await store.put(conversation_id="c1", kind="image", mime="image/jpeg", data=b"jpeg", thumb=b"t",
                              thumb_mime="image/jpeg", uploader=UPLOADER, extra={"width": 8, "height": 6})
        attachments = Attachments(db["media"])

        described = await attachments.describe("c1", pdf["_id"], "file")
        assert described == {"id": pdf["_id"], "type": "file", "mime": "application/pdf", "size": 10,
                             "url": f"/api/v1/media/{pdf['_id']}", "name": "户籍证明.pdf"}
        picture = await attachments.describe("c1", img["_id"], "image")
        assert picture["thumb_url"] == f"/api/v1/media/{img['_id']}?thumb=1"
        assert (picture["width"], picture["height"]) == (8, 6) and "name" not in picture

        for conversation_id, media_id, type_, status, code, text in (
            ("c2", pdf["_id"], "file", 404, "not_found", "未找到该文件，请重新上传。"),
            ("c1", "nope", "file", 404, "not_found", "未找到该文件，请重新上传。"),
            ("c1", pdf["_id"], "image", 400, "invalid_payload", "消息类型与文件类型不一致。"),
        ):
            with pytest.raises(ApiError) as refused:
                await attachments.describe(conversation_id, media_id, type_)
            assert (refused.value.status, refused.value.code, refused.value.message) == (status, code, text)
    finally:
        await mongo.close()

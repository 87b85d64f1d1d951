"""The description of an uploaded file that a chat message carries (what the bridge stores and sends)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from core.errors import ApiError
from media.urls import media_url

_COPIED = ("duration_s", "width", "height")


class Attachments:
    """Describe media items of a conversation for the messages that attach them."""

    def __init__(self, collection: AsyncCollection) -> None:
        self.col = collection

    async def describe(self, conversation_id: str, media_id: str, type_: str) -> dict[str, Any]:
        """id, type, mime, size, url, thumb_url, duration_s, width, height and name of an upload.

        Refused with 404 `not_found` unless the item belongs to the conversation, and with 400
        `invalid_payload` when the message type is not the item's type.
        """
        doc = await self.col.find_one({"_id": media_id, "conversation_id": conversation_id})
        if doc is None:
            raise ApiError(404, "not_found", "未找到该文件，请重新上传。")
        if type_ != doc.get("type"):
            raise ApiError(400, "invalid_payload", "消息类型与文件类型不一致。")
        info: dict[str, Any] = {"id": media_id, "type": doc.get("type"), "mime": doc.get("mime"),
                                "size": doc.get("size"), "url": media_url(media_id)}
        for key in _COPIED:
            if doc.get(key) is not None:
                info[key] = doc[key]
        if doc.get("filename"):
            info["name"] = doc["filename"]
        if doc.get("thumb_id"):
            info["thumb_url"] = media_url(media_id, thumb=True)
        return info

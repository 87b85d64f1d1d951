"""Attachments of messages read from the bridge's copy of the media documents.

Kept until media/ provides its own implementation of `bridge.domain.ports.Attachments`.
"""

from __future__ import annotations

from typing import Any

from core.db import Store
from core.errors import ApiError


class StoredAttachments:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def describe(self, conversation_id: str, media_id: str, type_: str) -> dict[str, Any]:
        """The stored media of a message; refused unless it belongs to the conversation and matches its type."""
        media = await self.store.media.find_one({"_id": media_id, "conversation_id": conversation_id})
        if media is None:
            raise ApiError(404, "not_found", "未找到该文件，请重新上传。")
        if type_ != media.get("type"):
            raise ApiError(400, "invalid_payload", "消息类型与文件类型不一致。")
        info: dict[str, Any] = {"id": media_id, "type": media.get("type"), "mime": media.get("mime"),
                                "size": media.get("size"), "url": f"/api/v1/media/{media_id}"}
        for key in ("duration_s", "width", "height"):
            if media.get(key) is not None:
                info[key] = media[key]
        # media documents store `filename`; the wire and the pane read `name`
        name = media.get("filename") or media.get("name")
        if name:
            info["name"] = name
        if media.get("thumb_id"):
            info["thumb_url"] = f"/api/v1/media/{media_id}?thumb=1"
        return info

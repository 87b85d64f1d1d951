"""Users rate the bot and the agent of a conversation, once per target."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from bridge.domain.timeline import Timeline
from core.clock import now
from core.db import Store
from core.errors import ApiError


class Ratings:
    def __init__(self, store: Store, timeline: Timeline) -> None:
        self.store = store
        self.timeline = timeline

    async def rate(self, conv: dict, target: str, score: int, resolved: bool | None, comment: str | None) -> dict:
        """Store the user's rating of `target` ("bot" or "agent"); refused when already rated."""
        if target == "agent" and not conv.get("served_by"):
            raise ApiError(409, "invalid_state", "本次会话没有人工服务，无法评价帮办人员。")
        served = {"id": conv["served_by"][-1]} if conv.get("served_by") else None
        rating = {"conversation_id": conv["_id"], "target": target, "score": score, "resolved": resolved,
                  "comment": comment, "user": conv["user"], "channel": conv.get("channel"),
                  "matter": conv.get("matter"), "department": conv.get("department"),
                  "agent": conv.get("agent") or served, "ts": now()}
        try:
            await self.store.ratings.insert_one(rating)
        except DuplicateKeyError:
            raise ApiError(409, "already_rated") from None
        await self.timeline.add(conv["_id"], "rated", {"role": "user", "id": conv["user"]["id"]},
                                {"target": target, "score": score, "resolved": resolved})
        return rating

"""Users rate the bot and the agent of a conversation, once per target.

Scores 1..5 are the national 好差评 levels (`haocha_levels.LEVELS`); each stored rating goes to the
`followups` (the 好差评 report, a rectification item for a bad one), a failing follow-up logged only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from pymongo.errors import DuplicateKeyError

from bridge.domain.timeline import Timeline
from core.clock import now
from core.db import Store
from core.errors import ApiError

log = logging.getLogger("bangban.ratings")


class Ratings:
    def __init__(self, store: Store, timeline: Timeline) -> None:
        self.store = store
        self.timeline = timeline
        self.followups: list[Callable[[dict], Awaitable[object]]] = []

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
        for followup in self.followups:
            try:
                await followup(rating)
            except Exception:  # noqa: BLE001 - the rating is stored; the follow-up is logged for the operator
                log.exception("rating follow-up failed", extra={"conversation": conv["_id"], "target": target})
        return rating

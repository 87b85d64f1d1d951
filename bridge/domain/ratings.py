"""Users rate the bot and the agent of a conversation, once per target.

Scores 1..5 are the national 好差评 levels (`haocha_levels.LEVELS`); each stored rating goes to the
`followups` (the 好差评 report, a rectification item for a bad one). A rating is marked
`followed_up` once every follow-up has run; `follow_up_missed` re-runs them for ratings a crash or a
failing follow-up left unmarked (the follow-ups are idempotent: their ids derive from the rating).
"""

from __future__ import annotations

import datetime as dt
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
                  "agent": conv.get("agent") or served, "ts": now(), "followed_up": False}
        try:
            await self.store.ratings.insert_one(rating)
        except DuplicateKeyError:
            raise ApiError(409, "already_rated") from None
        await self.timeline.add(conv["_id"], "rated", {"role": "user", "id": conv["user"]["id"]},
                                {"target": target, "score": score, "resolved": resolved})
        await self._follow_up(rating)
        return rating

    async def _follow_up(self, rating: dict) -> bool:
        """Run every follow-up of a stored rating; mark it followed up when all succeeded."""
        for followup in self.followups:
            try:
                await followup(rating)
            except Exception:  # noqa: BLE001 - the rating is stored; the sweep runs its follow-ups again
                log.exception("rating follow-up failed",
                              extra={"conversation": rating["conversation_id"], "target": rating["target"]})
                return False
        await self.store.ratings.update_one({"_id": rating["_id"]}, {"$set": {"followed_up": True}})
        return True

    async def follow_up_missed(self, older_than_s: float = 30.0, limit: int = 50) -> int:
        """Re-run the follow-ups of ratings stored over `older_than_s` ago and never followed up."""
        due = {"followed_up": False, "ts": {"$lte": now() - dt.timedelta(seconds=older_than_s)}}
        done = 0
        for rating in await self.store.ratings.find(due, sort=[("ts", 1)], limit=limit).to_list(None):
            done += await self._follow_up(rating)
        return done

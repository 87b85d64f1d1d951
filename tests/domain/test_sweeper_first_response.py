"""The sweeper's first-response timer fetches only the conversations that can call for something."""

from __future__ import annotations

import datetime as dt
import uuid

from bridge.domain.sweeper import Sweeper
from core.clock import now
from tests.domain.conftest import DEPARTMENT, Desk


def _sweeper(desk: Desk) -> Sweeper:
    c = desk.ctx
    return Sweeper(c.settings, c.store, c.presence, c.conversations, c.lifecycle, c.assignment, c.delivery,
                   c.escalation, c.bot)


class _CountingFind:
    """The conversations collection, noting how many documents each `find(...).to_list()` brought back."""

    def __init__(self, collection, fetched: list[int]) -> None:
        self._collection, self._fetched = collection, fetched

    def __getattr__(self, name: str):
        return getattr(self._collection, name)

    def find(self, *args, **kwargs):
        cursor = self._collection.find(*args, **kwargs)
        fetched, to_list = self._fetched, cursor.to_list

        async def listed(length=None):
            docs = await to_list(length)
            fetched.append(len(docs))
            return docs
        cursor.to_list = listed
        return cursor


async def _pending(desk: Desk, agent_id: str, assigned_s_ago: float, state: str = "with_agent") -> str:
    cid = uuid.uuid4().hex
    await desk.store.conversations.insert_one({
        "_id": cid, "user": {"id": f"u-{cid[:6]}", "name": "测试用户"}, "state": state, "department": DEPARTMENT,
        "agent": {"id": agent_id, "name": "坐席"}, "created_at": now(), "first_response_at": None,
        "assigned_at": now() - dt.timedelta(seconds=assigned_s_ago), "fr_alerted": False, "fr_pending": True})
    return cid


async def test_a_burst_of_fresh_assignments_is_not_fetched_every_second(desk: Desk, monkeypatch):
    await desk.add_agent("a1", capacity=1000)
    alert_s = desk.ctx.settings.first_response_alert_s
    fresh = [await _pending(desk, "a1", 1) for _ in range(50)]
    late = await _pending(desk, "a1", alert_s + 5)
    left = await _pending(desk, "a1", alert_s + 5, state="closed")  # closed before any reply
    fetched: list[int] = []
    monkeypatch.setattr(desk.store, "conversations", _CountingFind(desk.store.conversations, fetched), raising=False)
    await _sweeper(desk).first_response()
    monkeypatch.undo()
    assert fetched == [2]  # the late one and the one that left, not the 50 fresh ones
    alerts = await desk.store.alerts.find({"kind": "first_response_late"}).to_list(None)
    assert [a["conversation_id"] for a in alerts] == [late]
    assert "fr_pending" not in await desk.store.conversations.find_one({"_id": left})
    still = await desk.store.conversations.count_documents({"_id": {"$in": fresh}, "fr_pending": True})
    assert still == 50 and desk.sio.to("a:a1", "alert")[0]["conversation_id"] == late

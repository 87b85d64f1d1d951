"""Telling the citizen the outcome of a rectification through the notification outbox, when it reaches them."""

from __future__ import annotations

from typing import Any

from bridge.domain.notify.service import Notify


def citizen_informer(notify: Notify):
    """The `Rectifications.inform` hook: queue a `rectification` notification or record "not_reachable"."""
    async def inform(item: dict[str, Any], conv: dict[str, Any]) -> dict[str, Any]:
        if not notify.triggers.settings.enabled or not await notify.can_reach(conv):
            return {"state": "not_reachable"}
        notice_id = f"{conv['_id']}:rectification:{item['_id']}"
        await notify.triggers.queue_outcome(conv, "rectification", notice_id, item.get("result") or "", item["_id"])
        return {"state": "notified", "notification": notice_id}
    return inform

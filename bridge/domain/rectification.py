"""核实整改: every 不满意/非常不满意 rating opens a rectification item for its department (docs/haocha.md).

An item is due 15 working days after the rating (`core/workcal.py`, the Chinese calendar). Supervisors of
the department claim it, record what they verified (核实情况) and what was done (整改结果), and close it;
the citizen is then informed through the notification outbox when a provider reaches them, else the item
records them as not reachable. Items past their deadline are flagged once (an alert to the department's
supervisors) by the periodic job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from pymongo.errors import DuplicateKeyError

from bridge.domain.haocha_levels import BAD, level_name
from bridge.domain.timeline import Timeline
from core.clock import iso, now
from core.db import Store
from core.errors import ApiError
from core.pii import mask_pii
from core.workcal import SHANGHAI, add_workdays

DEADLINE_WORKDAYS = 15
STATUSES = ("open", "claimed", "closed")


def item_id_of(rating: dict[str, Any], t: dt.datetime) -> str:
    """The item id of a bad rating: derived from it, so running the follow-up again opens no second item."""
    digest = hashlib.sha1(f"{rating['conversation_id']}:{rating['target']}".encode()).hexdigest()[:8].upper()
    return f"ZG{t:%Y%m%d}{digest}"


def today() -> dt.date:
    return now().astimezone(SHANGHAI).date()


def deadline_of(rated: dt.date) -> dt.date:
    """The rectification deadline of a rating given on `rated`: 15 working days later."""
    return add_workdays(rated, DEADLINE_WORKDAYS)


def is_overdue(item: dict[str, Any], day: dt.date) -> bool:
    return item["status"] != "closed" and item["deadline"] < day.isoformat()


def item_wire(item: dict[str, Any], day: dt.date) -> dict[str, Any]:
    return {"id": item["_id"], "status": item["status"], "department": item.get("department"),
            "matter": item.get("matter"), "conversation_id": item["conversation_id"], "target": item["target"],
            "level": item["level"], "level_name": level_name(item["level"]), "text": item.get("text", ""),
            "opened_at": iso(item.get("opened_at")), "deadline": item["deadline"], "overdue": is_overdue(item, day),
            "claimed_by": item.get("claimed_by"), "verification": item.get("verification", ""),
            "result": item.get("result", ""), "closed_at": iso(item.get("closed_at")),
            "closed_by": item.get("closed_by"), "citizen": item.get("citizen")}


class Rectifications:
    def __init__(self, store: Store, timeline: Timeline) -> None:
        self.store = store
        self.timeline = timeline
        self.inform = None  # async (item, conv) -> {"state": ...}: set by the composition root (notifications)

    async def open(self, rating: dict[str, Any]) -> dict[str, Any] | None:
        """The item a bad rating opens (None for the other levels)."""
        if int(rating["score"]) not in BAD:
            return None
        t = rating.get("ts") or now()
        item = {"_id": item_id_of(rating, t), "conversation_id": rating["conversation_id"],
                "target": rating["target"], "level": int(rating["score"]),
                "text": mask_pii(rating.get("comment") or ""), "department": rating.get("department"),
                "matter": rating.get("matter"), "channel": rating.get("channel"), "opened_at": t,
                "deadline": deadline_of(t.astimezone(SHANGHAI).date()).isoformat(), "status": "open"}
        try:
            await self.store.rectifications.insert_one(item)
        except DuplicateKeyError:  # opened before (a follow-up run again after a crash): one item per rating
            return await self.store.rectifications.find_one({"_id": item["_id"]}) or item
        await self.timeline.add(rating["conversation_id"], "rectification_opened", None,
                                {"id": item["_id"], "deadline": item["deadline"]})
        return item

    async def list(self, scope: dict[str, Any], status: str = "", overdue: bool = False) -> list[dict[str, Any]]:
        day = today()
        q: dict[str, Any] = {**scope}
        if status:
            q["status"] = status
        if overdue:
            q.update({"status": {"$ne": "closed"} if not status else status, "deadline": {"$lt": day.isoformat()}})
        docs = await self.store.rectifications.find(q, sort=[("deadline", 1)], limit=500).to_list(None)
        return [item_wire(d, day) for d in docs]

    async def _change(self, item_id: str, scope: dict[str, Any], allowed: tuple[str, ...],
                      fields: dict[str, Any]) -> dict[str, Any]:
        item = await self.store.rectifications.find_one_and_update(
            {"_id": item_id, "status": {"$in": list(allowed)}, **scope}, {"$set": fields}, return_document=True)
        if item is not None:
            return item
        if await self.store.rectifications.find_one({"_id": item_id, **scope}, {"_id": 1}) is None:
            raise ApiError(404, "not_found")
        raise ApiError(409, "invalid_state", "该整改事项当前状态下不能进行此操作。")

    async def claim(self, item_id: str, scope: dict[str, Any], who: dict[str, Any]) -> dict[str, Any]:
        item = await self._change(item_id, scope, ("open",), {"status": "claimed", "claimed_by": who,
                                                               "claimed_at": now()})
        return item_wire(item, today())

    async def record(self, item_id: str, scope: dict[str, Any], who: dict[str, Any], verification: str | None,
                     result: str | None) -> dict[str, Any]:
        """Record 核实情况 and/or 整改结果 on a claimed item."""
        fields: dict[str, Any] = {"recorded_by": who, "recorded_at": now()}
        if verification is not None:
            fields["verification"] = mask_pii(verification.strip())
        if result is not None:
            fields["result"] = mask_pii(result.strip())
        return item_wire(await self._change(item_id, scope, ("claimed",), fields), today())

    async def close(self, item_id: str, scope: dict[str, Any], who: dict[str, Any]) -> dict[str, Any]:
        """Close a claimed item with both records, then inform the citizen of the outcome."""
        current = await self.store.rectifications.find_one({"_id": item_id, **scope})
        if current is not None and current["status"] == "claimed" and not (current.get("verification")
                                                                        and current.get("result")):
            raise ApiError(400, "invalid_payload", "请先填写核实情况和整改结果。")
        item = await self._change(item_id, scope, ("claimed",), {"status": "closed", "closed_by": who,
                                                                  "closed_at": now()})
        conv = await self.store.conversations.find_one({"_id": item["conversation_id"]})
        citizen = await self.inform(item, conv) if self.inform and conv else {"state": "not_reachable"}
        await self.store.rectifications.update_one({"_id": item_id}, {"$set": {"citizen": citizen}})
        await self.timeline.add(item["conversation_id"], "rectification_closed", {"role": who.get("role"),
                                "id": who.get("id")}, {"id": item_id, "citizen": citizen["state"]})
        return item_wire({**item, "citizen": citizen}, today())

    async def flag_overdue(self, delivery, day: dt.date | None = None) -> list[dict[str, Any]]:
        """Flag items past their deadline to their department's supervisors (once each)."""
        day = day or today()
        due = await self.store.rectifications.find({"status": {"$ne": "closed"}, "deadline": {"$lt": day.isoformat()},
                                                    "overdue_flagged_at": None}).to_list(None)
        alerts = []
        for item in due:
            res = await self.store.rectifications.update_one({"_id": item["_id"], "overdue_flagged_at": None},
                                                             {"$set": {"overdue_flagged_at": now()}})
            if not res.modified_count:
                continue
            alert = {"kind": "rectification_overdue", "rectification_id": item["_id"],
                     "department": item.get("department"), "deadline": item["deadline"],
                     "conversation_id": item["conversation_id"],
                     "text": f"差评整改已超期（期限{item['deadline']}）：{level_name(item['level'])}"}
            await self.store.alerts.insert_one({**alert, "ts": now()})
            await delivery.to_supervisors(item.get("department") or "", "alert", alert)
            alerts.append(alert)
        return alerts

    async def overdue_count(self, scope: dict[str, Any]) -> int:
        return await self.store.rectifications.count_documents(
            {**scope, "status": {"$ne": "closed"}, "deadline": {"$lt": today().isoformat()}})

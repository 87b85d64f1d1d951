"""KPI figures, defined once (docs/kpis.md) and used by the HTTP API and the dashboard.

All figures are computed from the stored conversations, ratings and queue of
one filter (date range on creation time, department, channel).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

FIRST_RESPONSE_TARGET_S = 60.0
ESCALATION_CEILING = 0.10


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of `values`, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(1, int(-(-p * len(ordered) // 100)))  # ceil(p/100 * n)
    return ordered[min(k, len(ordered)) - 1]


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def compute(conversations: list[dict], ratings: list[dict]) -> dict[str, Any]:
    """All KPI figures for the given conversations and their ratings."""
    total = len(conversations)
    handed = [c for c in conversations if c.get("handed_off")]
    bot_only = [c for c in conversations if not c.get("handed_off")]
    bot_rating_ok = {r["conversation_id"] for r in ratings if r["target"] == "bot" and r.get("resolved")}
    bot_resolved = [c for c in bot_only if c.get("bot_resolved") is True or c["_id"] in bot_rating_ok]
    served = [c for c in conversations if c.get("served_by")]
    finished = [c for c in served if c.get("state") in ("closed", "escalated")]
    human_resolved = [c for c in finished if c.get("resolved") is True and not c.get("escalated")]
    escalated = [c for c in served if c.get("escalated")]
    fr = [(c["first_response_at"] - c["assigned_at"]).total_seconds()
          for c in served if c.get("first_response_at") and c.get("assigned_at")]
    waits = [(c["assigned_at"] - c["queued_at"]).total_seconds()
             for c in handed if c.get("assigned_at") and c.get("queued_at")]
    dist: dict[str, dict[str, int]] = {"bot": {str(i): 0 for i in range(1, 6)},
                                       "agent": {str(i): 0 for i in range(1, 6)}}
    for r in ratings:
        dist[r["target"]][str(r["score"])] += 1
    avg = {t: (round(sum(int(k) * v for k, v in d.items()) / sum(d.values()), 2) if sum(d.values()) else None)
           for t, d in dist.items()}
    return {
        "conversations": total,
        "bot": {"conversations": total, "resolved": len(bot_resolved), "handed_off": len(handed),
                "resolution_rate": ratio(len(bot_resolved), total)},
        "human": {"served": len(served), "finished": len(finished), "resolved": len(human_resolved),
                  "resolution_rate": ratio(len(human_resolved), len(finished))},
        "first_response": {"count": len(fr), "p50_s": percentile(fr, 50), "p90_s": percentile(fr, 90),
                           "within_60s": ratio(sum(1 for x in fr if x <= FIRST_RESPONSE_TARGET_S), len(fr))},
        "escalation": {"escalated": len(escalated), "served": len(served),
                       "rate": ratio(len(escalated), len(served)), "ceiling": ESCALATION_CEILING},
        "wait": {"count": len(waits), "p50_s": percentile(waits, 50), "p90_s": percentile(waits, 90)},
        "ratings": {"distribution": dist, "average": avg, "count": len(ratings)},
        "by_matter": dict(Counter(c.get("matter") or "unknown" for c in conversations).most_common()),
        "by_channel": dict(Counter(c.get("channel") or "unknown" for c in conversations).most_common()),
    }


def conversation_filter(start: dt.datetime | None, end: dt.datetime | None, department: str | None,
                        channel: str | None) -> dict[str, Any]:
    q: dict[str, Any] = {}
    if start or end:
        q["created_at"] = {}
        if start:
            q["created_at"]["$gte"] = start
        if end:
            q["created_at"]["$lt"] = end
    if department:
        q["department"] = department
    if channel:
        q["channel"] = channel
    return q


async def figures(store, start=None, end=None, department=None, channel=None) -> dict[str, Any]:
    """KPI figures read from the database for one filter."""
    q = conversation_filter(start, end, department, channel)
    fields = {"state": 1, "handed_off": 1, "bot_resolved": 1, "served_by": 1, "resolved": 1, "escalated": 1,
              "first_response_at": 1, "assigned_at": 1, "queued_at": 1, "matter": 1, "channel": 1,
              "department": 1}
    convs = await store.conversations.find(q, fields).to_list(None)
    ids = [c["_id"] for c in convs]
    ratings = await store.ratings.find({"conversation_id": {"$in": ids}}).to_list(None) if ids else []
    out = compute(convs, ratings)
    out["filter"] = {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
                     "department": department, "channel": channel}
    return out

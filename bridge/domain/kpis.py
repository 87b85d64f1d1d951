"""KPI figures, defined once (docs/kpis.md) and used by the HTTP API and the dashboard.

All figures are computed from the stored conversations, ratings and queue of
one filter (date range on creation time, department, channel), plus the
knowledge-base figures: catalogue coverage and on-time rates.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from core.clock import now
from core.workcal import SHANGHAI
from kb.versions import in_force, parse_day, publish_by

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


def compute(conversations: list[dict], ratings: list[dict],
            in_hours: Callable[[dict], bool] | None = None) -> dict[str, Any]:
    """All conversation KPI figures for the given conversations and their ratings.

    `in_hours(conv)` says whether a conversation was assigned during its department's
    human help hours; first-response figures count only those (all when None).
    """
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
          for c in served if c.get("first_response_at") and c.get("assigned_at") and (in_hours is None or in_hours(c))]
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
        "channels": channel_figures(conversations),
    }


def _seconds(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    return (b - a).total_seconds() if a and b else None


def channel_figures(conversations: list[dict]) -> dict[str, dict[str, Any]]:
    """Human-help figures per channel, the phone always listed: offered (handed to humans; a call that
    rang), answered (served by an agent), answered rate, handling time (assignment to close or 12345
    hand-over), resolution rate of the finished ones, and for calls the abandoned ones and talk time."""
    by: dict[str, list[dict]] = {"phone": []}
    for c in conversations:
        by.setdefault(c.get("channel") or "unknown", []).append(c)
    out: dict[str, dict[str, Any]] = {}
    for channel, convs in by.items():
        offered = [c for c in convs if c.get("handed_off")]
        answered = [c for c in offered if c.get("served_by")]
        finished = [c for c in answered if c.get("state") in ("closed", "escalated")]
        resolved = [c for c in finished if c.get("resolved") is True and not c.get("escalated")]
        handling = [s for c in finished
                    if (s := _seconds(c.get("assigned_at"), c.get("escalated_at") or c.get("closed_at"))) is not None]
        figures: dict[str, Any] = {
            "conversations": len(convs), "offered": len(offered), "answered": len(answered),
            "answered_rate": ratio(len(answered), len(offered)),
            "handling": {"count": len(handling), "p50_s": percentile(handling, 50),
                         "avg_s": round(sum(handling) / len(handling), 1) if handling else None},
            "finished": len(finished), "resolved": len(resolved),
            "resolution_rate": ratio(len(resolved), len(finished)),
        }
        if channel == "phone":
            talk = [float(c["phone"]["talk_s"]) for c in convs if (c.get("phone") or {}).get("talk_s") is not None]
            figures["abandoned"] = sum(1 for c in convs if (c.get("phone") or {}).get("abandoned"))
            figures["talk_p50_s"] = percentile(talk, 50)
        out[channel] = figures
    return out


def _local_day(t: dt.datetime | None) -> dt.date | None:
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(SHANGHAI).date()


def coverage(matters: Iterable[str], articles: Iterable[dict], day: dt.date,
             aspects: Iterable[str]) -> dict[str, Any]:
    """Share of catalogue matters whose in-force KB articles cover every required aspect."""
    wanted = list(matters)
    need = set(aspects)
    have: dict[str, set[str]] = {}
    for a in in_force([a for a in articles if a.get("status", "published") == "published"], day):
        if a.get("matter"):
            have.setdefault(a["matter"], set()).add(a.get("aspect"))
    covered = [m for m in wanted if need <= have.get(m, set())]
    return {"matters": len(wanted), "covered": len(covered), "rate": ratio(len(covered), len(wanted)),
            "missing": sorted(m for m in wanted if m not in covered)}


def unanswered_on_time(entries: Iterable[dict], today: dt.date) -> dict[str, Any]:
    """On-time rate of answering unanswered questions into the KB.

    Due: entries answered, and open entries whose deadline has passed (dismissed ones
    are left out). On time: answered on or before the deadline (Shanghai date).
    """
    due = on_time = 0
    for e in entries:
        deadline = parse_day(e.get("deadline"))
        if deadline is None or e.get("status") == "dismissed":
            continue
        answered = _local_day(e.get("answered_at")) if e.get("status") == "answered" else None
        if answered is None and deadline >= today:
            continue
        due += 1
        on_time += answered is not None and answered <= deadline
    return {"due": due, "on_time": on_time, "rate": ratio(on_time, due)}


def policy_on_time(versions: Iterable[dict], today: dt.date) -> dict[str, Any]:
    """On-time rate of publishing policy changes (at least 1 working day before they take effect).

    Due: versions with a `policy_effective_date` that are published, or whose last
    publish day has passed unpublished. On time: published on or before that day.
    """
    due = on_time = 0
    for v in versions:
        effective = parse_day(v.get("policy_effective_date"))
        if effective is None:
            continue
        last = publish_by(effective)
        published = _local_day(v.get("published_at")) if v.get("status") == "published" else None
        if published is None and today <= last:
            continue
        due += 1
        on_time += published is not None and published <= last
    return {"due": due, "on_time": on_time, "rate": ratio(on_time, due)}


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


def assigned_in_hours(conv: dict) -> bool:
    """Whether the conversation was assigned while its department's human help was open on its channel
    (a call: the phone line's hours; any other channel: the online chat's)."""
    from core.workcal import help_status

    t = conv.get("assigned_at")
    if t is None:
        return False
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    try:
        return help_status(conv.get("department") or "", t, "phone" if conv.get("channel") == "phone" else "chat").open
    except KeyError:
        return True


def _range(field: str, start: dt.datetime | None, end: dt.datetime | None, as_day: bool = False) -> dict:
    if not (start or end):
        return {}
    cond: dict[str, Any] = {}
    if start:
        cond["$gte"] = _local_day(start).isoformat() if as_day else start
    if end:
        cond["$lt"] = _local_day(end).isoformat() if as_day else end
    return {field: cond}


async def kb_figures(store, start=None, end=None, department=None, today: dt.date | None = None) -> dict[str, Any]:
    """Catalogue coverage and KB on-time rates (unanswered questions, policy changes)."""
    from core.catalogue import get_catalogue
    from kb.loader import MATTER_ASPECTS

    today = today or _local_day(now())
    catalogue = get_catalogue()
    matters = [m.id for m in catalogue.matters.values() if not department or m.department == department]
    articles = await store.kb_articles.find({}, {"matter": 1, "aspect": 1, "status": 1, "version": 1,
                                                 "policy_effective_date": 1}).to_list(None)
    dep = {"department": department} if department else {}
    entries = await store.unanswered.find({**dep, **_range("first_asked", start, end)},
                                          {"deadline": 1, "status": 1, "answered_at": 1}).to_list(None)
    versions = await store.kb_versions.find(
        {**dep, "policy_effective_date": {"$ne": None}, **_range("policy_effective_date", start, end, True)},
        {"policy_effective_date": 1, "status": 1, "published_at": 1}).to_list(None)
    return {"coverage": coverage(matters, articles, today, MATTER_ASPECTS),
            "kb_on_time": {"unanswered": unanswered_on_time(entries, today),
                           "policy": policy_on_time(versions, today)}}


async def figures(store, start=None, end=None, department=None, channel=None) -> dict[str, Any]:
    """KPI figures read from the database for one filter."""
    q = conversation_filter(start, end, department, channel)
    fields = {"state": 1, "handed_off": 1, "bot_resolved": 1, "served_by": 1, "resolved": 1, "escalated": 1,
              "first_response_at": 1, "assigned_at": 1, "queued_at": 1, "matter": 1, "channel": 1,
              "department": 1, "closed_at": 1, "escalated_at": 1, "phone": 1}
    convs = await store.conversations.find(q, fields).to_list(None)
    ids = [c["_id"] for c in convs]
    ratings = await store.ratings.find({"conversation_id": {"$in": ids}}).to_list(None) if ids else []
    out = compute(convs, ratings, assigned_in_hours)
    out.update(await kb_figures(store, start, end, department))
    out["filter"] = {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
                     "department": department, "channel": channel}
    return out

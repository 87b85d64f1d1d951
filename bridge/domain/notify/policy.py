"""The pure rules of notifications: which provider, which kind, quiet hours, retry delays."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

BEIJING = dt.timezone(dt.timedelta(hours=8))
# a channel's own provider; other channels fall back to SMS when the citizen's number is verified
CHANNEL_PROVIDERS = {"wechat": "wechat", "alipay": "alipay", "app": "push"}
CONSENTED = ("wechat", "alipay")  # providers whose templates need the citizen's subscription
STAFF_SENDERS = ("agent", "supervisor", "admin")  # whose messages are replies to the citizen


def provider_for(channel: str | None, contact: dict | None) -> tuple[str, str] | None:
    """(provider, address) that reaches a citizen of `channel` with `contact`, or None.

    `contact` holds what the portal token told: `openid` (mini-programs), `phone` (verified only), `user`.
    """
    contact = contact or {}
    provider = CHANNEL_PROVIDERS.get(channel or "")
    if provider in CONSENTED and contact.get("openid"):
        return provider, contact["openid"]
    if provider == "push" and contact.get("user"):
        return "push", contact["user"]
    if contact.get("phone"):
        return "sms", contact["phone"]
    return None


def kind_of(conv: dict, message: dict) -> str | None:
    """The notification a stored message calls for, or None (most messages: none)."""
    role = message["sender"]["role"]
    if role in STAFF_SENDERS:
        return "reply"
    if role != "system":
        return None
    meta = message.get("meta") or {}
    event = meta.get("event")
    if event == "agent_joined":
        return "your_turn"
    if event == "ticket_update":
        return "workorder"
    if event == "closed" and "agent" in (meta.get("rate") or []):
        return "rating"
    return None


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def quiet_until(t: dt.datetime, spec: str) -> dt.datetime | None:
    """When the quiet hours `HH:MM-HH:MM` (Beijing time) around `t` end, or None when `t` is not in them."""
    if not spec:
        return None
    start, end = (_minutes(p) for p in spec.split("-"))
    local = t.astimezone(BEIJING)
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start <= end else (minute >= start or minute < end)
    if not inside:
        return None
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    until = day + dt.timedelta(minutes=end)
    if until <= local:
        until += dt.timedelta(days=1)
    return until.astimezone(dt.UTC)


def backoff(attempts: int, base_s: float, max_s: float, rand: Callable[[], float] = random.random) -> float:
    """Seconds before attempt `attempts + 1`: exponential from `base_s`, capped, with jitter (half to full)."""
    delay = min(max_s, base_s * 2.0 ** max(0, attempts - 1))
    return delay * (0.5 + rand() / 2)

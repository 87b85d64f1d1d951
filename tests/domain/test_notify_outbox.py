"""The notification outbox's decisions at the moment of sending, on a real database (no provider reached)."""

from __future__ import annotations

import datetime as dt

from bridge.domain.notify import policy
from bridge.domain.notify.outbox import NotifyOutbox
from bridge.domain.notify.service import providers
from core.clock import now
from core.notify_settings import NotifySettings
from tests.domain.conftest import Desk

BEIJING = dt.timezone(dt.timedelta(hours=8))


def _around_now() -> str:
    """Quiet hours from an hour ago to an hour from now (Beijing time)."""
    t = now().astimezone(BEIJING)
    return f"{t - dt.timedelta(hours=1):%H:%M}-{t + dt.timedelta(hours=1):%H:%M}"


def _outbox(desk: Desk, **env: str) -> NotifyOutbox:
    s = NotifySettings(**env)  # no provider URL or credentials: none is configured
    return NotifyOutbox(desk.store, desk.ctx.timeline, desk.ctx.notify.consents, providers(s), s)


def _item(item_id: str, provider: str, to: str) -> dict:
    return {"_id": item_id, "conversation_id": item_id.split(":")[0], "user": "u-quiet", "department": "taxation",
            "kind": "reply", "provider": provider, "to": to, "template_id": "SMS_BB_REPLY"}


async def test_sms_waits_for_the_end_of_the_quiet_hours_and_other_providers_do_not(desk: Desk):
    spec = _around_now()
    outbox = _outbox(desk, NOTIFY_QUIET_HOURS=spec, NOTIFY_QUIET_PROVIDERS="sms")
    assert await outbox.add(_item("c1:reply:2", "sms", "13900000000"))
    assert not await outbox.add(_item("c1:reply:2", "sms", "13900000000"))  # the same key: stored once
    assert await outbox.add(_item("c2:reply:2", "push", "u-quiet"))
    assert await outbox.deliver_due() == 0
    sms = await desk.store.notify_outbox.find_one({"_id": "c1:reply:2"})
    assert sms["state"] == "pending" and sms["attempts"] == 0
    until = policy.quiet_until(now(), spec)
    assert until is not None and abs((sms["next_try"] - until).total_seconds()) < 1
    push = await desk.store.notify_outbox.find_one({"_id": "c2:reply:2"})
    assert push["state"] == "skipped" and push["reason"] == "provider_not_configured"


async def test_nothing_is_sent_to_a_citizen_with_a_socket(desk: Desk):
    await desk.store.user_sockets.insert_one({"_id": "sid-1", "user": "u-quiet", "process_id": "p", "ts": now()})
    outbox = _outbox(desk, NOTIFY_QUIET_HOURS="off")
    await outbox.add(_item("c3:reply:2", "sms", "13900000000"))
    await outbox.deliver_due()
    item = await desk.store.notify_outbox.find_one({"_id": "c3:reply:2"})
    assert item["state"] == "skipped" and item["reason"] == "connected"

"""What calls for a notification: a follow-up hook of messaging (`Messaging.followups`) over stored messages.

- an agent's reply (the first and later ones) while the citizen has no socket: one notification per quiet
  window (`NOTIFY_COALESCE_S`) of the conversation, sent after `NOTIFY_DELAY_S`; later replies in the
  window only count into it;
- the reply to a message left out of hours (the handoff notice said `left_message`): its own wording;
- "it is your turn" (the notice that an agent joined), the 12345 work order's result (`ticket_update`),
  the rating request when staff close a served conversation.
Most messages (the citizen's own, the bot's) cost nothing here: the kind is decided from the message alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pymongo.errors import DuplicateKeyError

from bridge.domain.notify import policy
from bridge.domain.notify.consent import Consents
from bridge.domain.notify.outbox import SYSTEM, NotifyOutbox
from bridge.domain.notify.templates import Templates, beijing_time, clip
from bridge.domain.timeline import Timeline
from core.catalogue import Catalogue
from core.clock import now
from core.db import Store
from core.notify_settings import NotifySettings
from core.pii import mask_pii

log = logging.getLogger("bangban.notify")
OFFHOURS_KEEP = dt.timedelta(days=14)
WORK_ORDER_STATUS = {"accepted": "已受理", "processing": "处理中", "resolved": "已办结", "rejected": "已退回",
                     "closed": "已关闭"}
PLACEHOLDERS = {"image": "[图片]", "voice": "[语音]", "file": "[文件]"}


class NotifyTriggers:
    def __init__(self, store: Store, outbox: NotifyOutbox, consents: Consents, templates: Templates,
                 catalogue: Catalogue, timeline: Timeline, settings: NotifySettings) -> None:
        self.outbox = outbox
        self.consents = consents
        self.templates = templates
        self.catalogue = catalogue
        self.timeline = timeline
        self.settings = settings
        self.windows = store.notify_windows

    async def followup(self, conv: dict, message: dict) -> None:
        """The messaging hook: queue the notification `message` calls for, if the citizen is away."""
        if not self.settings.enabled:
            return
        meta = message.get("meta") or {}
        if meta.get("event") == "handed_off" and meta.get("left_message"):
            await self._mark_left_message(conv["_id"])
            return
        kind = policy.kind_of(conv, message)
        if kind is None or await self.outbox.connected(conv["user"]["id"]):
            return
        item_id = f"{conv['_id']}:{kind}:{message['seq']}"
        window = None
        if kind == "reply":
            window = f"{conv['_id']}:reply"
            if not await self._open_window(window, item_id):
                await self._count_into(window)
                return
            if await self.windows.find_one_and_delete({"_id": f"{conv['_id']}:offhours"}):
                kind = "offhours_reply"
        await self._queue(conv, message, kind, item_id, window)

    async def queue_outcome(self, conv: dict, kind: str, item_id: str, text: str, ticket: str) -> None:
        """A notification not caused by a message (the outcome of a rectification): sent at once."""
        note = {"seq": 0, "sender": {"role": "system"}, "text": text, "ts": now(),
                "meta": {"ticket": ticket, "status": "resolved"}}
        await self._queue(conv, note, kind, item_id, None)

    async def target(self, conv: dict) -> tuple[str, str] | None:
        """(provider, address) that reaches the conversation's citizen, or None."""
        user_id = conv["user"]["id"]
        contact = {"user": user_id, **(await self.consents.contact(user_id) or {})}
        return policy.provider_for(conv.get("channel"), contact)

    async def _queue(self, conv: dict, message: dict, kind: str, item_id: str, window: str | None) -> None:
        user_id = conv["user"]["id"]
        target = await self.target(conv)
        if target is None:
            await self.timeline.add(conv["_id"], "notify_skipped", SYSTEM, {"kind": kind, "reason": "no_contact"})
            return
        provider, address = target
        rendered = self.templates.render(kind, provider, self.variables(conv, message))
        delay = self.settings.delay_s if kind in ("reply", "offhours_reply") else 0.0
        await self.outbox.add({
            "_id": item_id, "conversation_id": conv["_id"], "user": user_id, "department": conv.get("department"),
            "kind": kind, "provider": provider, "to": address, "template_id": rendered.template_id,
            "data": rendered.data, "title": rendered.title, "text": rendered.text, "page": rendered.page,
            "window": window, "next_try": now() + dt.timedelta(seconds=delay)})

    def variables(self, conv: dict, message: dict) -> dict[str, Any]:
        """The values the templates may use, from the conversation and the message."""
        meta = message.get("meta") or {}
        matter = self.catalogue.matters.get(conv.get("matter") or "")
        department = self.catalogue.departments.get(conv.get("department") or "")
        agent = (conv.get("agent") or {}).get("name") or (meta.get("agent") or {}).get("name") or "帮办人员"
        if message["sender"]["role"] in policy.STAFF_SENDERS:  # who replied, rather than who was assigned
            agent = message["sender"].get("name") or agent
        text = message.get("text") or PLACEHOLDERS.get(message.get("type", ""), "")
        return {"matter": matter.name if matter else "政务服务咨询",
                "department": department.name if department else "帮办部门", "agent": agent,
                "excerpt": clip(mask_pii(text), 40), "time": beijing_time(message["ts"]),
                "ticket": meta.get("ticket", ""), "status": WORK_ORDER_STATUS.get(meta.get("status", ""), ""),
                "conversation_id": conv["_id"]}

    async def _open_window(self, window: str, item_id: str) -> bool:
        """Open the conversation's reply window for `item_id`; False when one is open (coalesce into it)."""
        t = now()
        until = t + dt.timedelta(seconds=self.settings.coalesce_s)
        try:
            await self.windows.update_one(
                {"_id": window, "until": {"$lte": t}},
                {"$set": {"until": until, "item": item_id, "expires_at": until + dt.timedelta(days=1)}},
                upsert=True)
        except DuplicateKeyError:  # open (its `until` is later): this reply belongs to it
            return False
        return True

    async def _count_into(self, window: str) -> None:
        doc = await self.windows.find_one({"_id": window})
        if doc is not None:
            await self.outbox.count_into(doc["item"])

    async def _mark_left_message(self, conversation_id: str) -> None:
        await self.windows.update_one({"_id": f"{conversation_id}:offhours"},
                                      {"$set": {"expires_at": now() + OFFHOURS_KEEP}}, upsert=True)

"""The citizens' subscriptions (consent per template) and how to reach them (contacts).

WeChat's and Alipay's one-time subscription: each "accept" a mini-program reports after
`wx.requestSubscribeMessage` / `my.requestSubscribeMessage` allows one message of that template; a
message takes one (`take`), a dead-lettered one gives it back. A "reject" clears what was left.
Contacts come from the portal token: `openid` of the mini-program, a verified `phone`, the portal id.
"""

from __future__ import annotations

import logging

import pymongo
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from bridge.domain.auth import Principal
from core.clock import now
from core.db import Store
from core.errors import ApiError

log = logging.getLogger("bangban.notify")
MAX_PER_TEMPLATE = 50  # WeChat accumulates accepts; more than this is a client gone wrong
STORE_TIMEOUT_S = 1.5
KNOWN_MAX = 20_000  # contacts remembered per process before the memo starts over


def contact_of(p: Principal) -> dict:
    """What a citizen's token says about reaching them."""
    contact = {"user": p.id, "channel": p.channel}
    if p.openid:
        contact["openid"] = p.openid
    if p.phone:
        contact["phone"] = p.phone
    return contact


class Consents:
    def __init__(self, store: Store, templates: dict[str, dict[str, list[str]]]) -> None:
        self.store = store
        self.templates = templates  # provider -> its template ids -> the kinds each carries
        self.template_ids = {provider: set(ids) for provider, ids in templates.items()}
        self._known: dict[str, dict] = {}  # contacts this process stored already

    async def remember(self, p: Principal) -> None:
        """Store the contact of a citizen whose token carries an openid or a verified phone (once per process)."""
        contact = contact_of(p)
        if not (p.openid or p.phone) or self._known.get(p.id) == contact:
            return
        try:
            with pymongo.timeout(STORE_TIMEOUT_S):  # runs while the citizen's socket connects
                await self.store.notify_contacts.update_one({"_id": p.id}, {"$set": {**contact, "ts": now()}},
                                                            upsert=True)
            if len(self._known) >= KNOWN_MAX:
                self._known.clear()
            self._known[p.id] = contact
        except PyMongoError:  # the next connection tries again; notifications fall back to no contact
            log.warning("notification contact not stored", exc_info=True)

    async def contact(self, user_id: str) -> dict | None:
        return await self.store.notify_contacts.find_one({"_id": user_id})

    async def record(self, p: Principal, provider: str, accepted: list[str], rejected: list[str]) -> dict[str, int]:
        """Record what the citizen accepted and rejected; answer the subscriptions left per template."""
        known = self.template_ids.get(provider, set())
        unknown = sorted({*accepted, *rejected} - known)
        if unknown:
            raise ApiError(400, "invalid_payload", f"未知的消息模板：{', '.join(unknown)}")
        if provider != p.channel or not p.openid:
            raise ApiError(409, "invalid_state", "当前登录渠道无法订阅该消息。")
        await self.remember(p)
        for template in accepted:
            try:
                await self.store.notify_consents.update_one(
                    {"_id": f"{p.id}:{provider}:{template}", "n": {"$lt": MAX_PER_TEMPLATE}},
                    {"$inc": {"n": 1}, "$set": {"user": p.id, "provider": provider, "template": template,
                                                "ts": now()}}, upsert=True)
            except DuplicateKeyError:  # already at the most a template keeps
                pass
        for template in rejected:
            await self.store.notify_consents.update_one(
                {"_id": f"{p.id}:{provider}:{template}"},
                {"$set": {"n": 0, "user": p.id, "provider": provider, "template": template, "ts": now()}},
                upsert=True)
        return await self.counts(p.id, provider)

    async def status(self, p: Principal) -> dict:
        """What a citizen's mini-program may ask consent for, and what is left (none outside the mini-programs)."""
        provider = p.channel if p.channel in self.templates else None
        if provider is None:
            return {"provider": None, "templates": {}, "consent": {}}
        return {"provider": provider, "templates": self.templates[provider],
                "consent": await self.counts(p.id, provider)}

    async def counts(self, user_id: str, provider: str) -> dict[str, int]:
        docs = await self.store.notify_consents.find({"user": user_id, "provider": provider}).to_list(None)
        return {d["template"]: int(d.get("n", 0)) for d in docs}

    async def take(self, user_id: str, provider: str, template: str) -> bool:
        """Use up one subscription of `template`; False when none is left."""
        doc = await self.store.notify_consents.find_one_and_update(
            {"_id": f"{user_id}:{provider}:{template}", "n": {"$gte": 1}}, {"$inc": {"n": -1}},
            return_document=ReturnDocument.AFTER)
        return doc is not None

    async def give_back(self, user_id: str, provider: str, template: str) -> None:
        await self.store.notify_consents.update_one({"_id": f"{user_id}:{provider}:{template}"}, {"$inc": {"n": 1}})

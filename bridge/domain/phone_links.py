"""Verified citizen phone numbers, kept only as keyed hashes so a caller can be recognised.

The portal vouches for a citizen's mobile number with the token claims `phone` and `phone_verified: true`.
Bangban never stores that number: it stores `HMAC-SHA256(PHONE_LINK_KEY, number)` with the citizen's id
(`phone_links`), which the CTI's caller number is hashed to and looked up by. A phone number has too few
digits for a plain hash to hide it; the key (a setting) is what a reader of the database lacks.
"""

from __future__ import annotations

import logging
import re

from pymongo.errors import PyMongoError

from core.clock import now
from core.db import Store
from core.signatures import mac

log = logging.getLogger("bangban.phone")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize(number: str) -> str:
    """The number's digits without a +86/86/0086 prefix (a mainland mobile, or a fixed line as dialled)."""
    digits = re.sub(r"\D", "", number or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and _MOBILE.match(digits[len(prefix):]):
            return digits[len(prefix):]
    return digits


def mask_number(number: str) -> str:
    """`138****5678` for a mobile, the last four digits behind stars for anything else."""
    digits = normalize(number)
    if _MOBILE.match(digits):
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(0, len(digits) - 4) + digits[-4:] if digits else ""


def verified_phone(claims: dict) -> str:
    """The mobile number the portal verified for the citizen (claims `phone` + `phone_verified`), or ""."""
    if claims.get("phone_verified") is not True or not isinstance(claims.get("phone"), str):
        return ""
    digits = normalize(claims["phone"])
    return digits if _MOBILE.match(digits) else ""


class PhoneLinks:
    def __init__(self, store: Store, key: str) -> None:
        self.store = store
        self.key = key

    def _hash(self, number: str) -> str:
        return mac(self.key, normalize(number).encode())

    async def remember(self, user_id: str, number: str) -> None:
        """Link the citizen's verified `number` to them (the latest citizen to verify a number keeps it)."""
        if not self.key or not number:
            return
        try:
            await self.store.phone_links.update_one({"_id": self._hash(number)},
                                                    {"$set": {"user_id": user_id, "verified_at": now()}}, upsert=True)
        except PyMongoError:  # best effort: the citizen is served anyway, the link is made at the next connect
            log.warning("phone link not stored", exc_info=True)

    async def citizen_of(self, number: str) -> str | None:
        """The id of the verified citizen with this number, or None."""
        if not self.key or not normalize(number):
            return None
        doc = await self.store.phone_links.find_one({"_id": self._hash(number)})
        return doc["user_id"] if doc else None

    async def forget(self, user_id: str) -> int:
        """Erase the citizen's links (erasure on request)."""
        return (await self.store.phone_links.delete_many({"user_id": user_id})).deleted_count

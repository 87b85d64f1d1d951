"""Staff login: throttled, constant work for unknown usernames, argon2 off the event loop, audited."""

from __future__ import annotations

import asyncio

from bridge.domain.auth import dummy_hash, verify_password
from bridge.domain.login_throttle import LoginThrottle
from core.clock import now
from core.db import Store
from core.errors import ApiError


class Logins:
    def __init__(self, store: Store, throttle: LoginThrottle) -> None:
        self.store = store
        self.throttle = throttle

    async def login(self, username: str, password: str, address: str) -> dict:
        """The staff account of a right password; ApiError 429/401/403 otherwise (every outcome audited)."""
        wait = await self.throttle.locked_for(username, address)
        if wait:
            await self._audit(username, address, "throttled")
            raise ApiError(429, "login_throttled", retry_after=wait)
        agent = await self.store.agents.find_one({"username": username})
        # an unknown username costs the same argon2 verification as a known one
        stored = agent["password_hash"] if agent else dummy_hash()
        right = await asyncio.to_thread(verify_password, stored, password)
        if agent is None or not right:
            await self.throttle.failed(username, address)
            await self._audit(username, address, "bad_credentials")
            raise ApiError(401, "bad_credentials")
        await self.throttle.succeeded(username)
        if agent.get("disabled"):
            await self._audit(username, address, "account_disabled")
            raise ApiError(403, "account_disabled")
        await self._audit(username, address, "ok")
        return agent

    async def _audit(self, username: str, address: str, outcome: str) -> None:
        await self.store.audit.insert_one({"kind": "login", "ts": now(), "username": username,
                                           "address": address, "outcome": outcome})

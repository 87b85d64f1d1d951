"""Staff changes reach open sockets: role and departments from the agents collection, not the token.

`StaffDirectory` answers "who is this staff member now" from the database (cached a few seconds).
`StaffSessions` re-checks this process's `/agent` sockets every `staff_check_s`: a disabled, deleted or
re-roled account or an expired token is disconnected; a department change moves the socket between
department rooms and updates the session's principal.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import socketio

from bridge.domain.auth import Principal
from bridge.domain.presence import Presence
from bridge.infra import rooms
from core.db import Store
from core.errors import ApiError

log = logging.getLogger("bangban.staff")
SUPERVISORS = ("supervisor", "admin")
_FIELDS = {"role": 1, "departments": 1, "disabled": 1, "name": 1}


def department_rooms(p: Principal) -> set[str]:
    """The department rooms a staff socket of `p` belongs to (supervisors' rooms included)."""
    names = {rooms.department(dep) for dep in p.departments}
    if p.role in SUPERVISORS:
        names |= {rooms.supervisors(dep) for dep in p.departments}
    return names


def refresh(p: Principal, account: dict | None) -> Principal | str:
    """`p` with the account's current departments, or why its sockets must close."""
    if account is None or account.get("disabled"):
        return "account_disabled"
    if p.expires_at and p.expires_at <= time.time():
        return "token_expired"
    if account.get("role") != p.role:
        return "forbidden"
    return dataclasses.replace(p, name=account.get("name", p.name),
                               departments=tuple(account.get("departments", [])))


class StaffDirectory:
    """Current staff accounts, read from the database at most every `ttl_s` per account."""

    def __init__(self, store: Store, ttl_s: float) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._seen: dict[str, tuple[float, dict | None]] = {}

    async def account(self, staff_id: str, fresh: bool = False) -> dict | None:
        hit = self._seen.get(staff_id)
        if fresh or hit is None or time.monotonic() - hit[0] > self.ttl_s:
            if len(self._seen) > 10_000:
                self._seen.clear()
            hit = (time.monotonic(), await self.store.agents.find_one({"_id": staff_id}, _FIELDS))
            self._seen[staff_id] = hit
        return hit[1]

    async def current(self, p: Principal, fresh: bool = False) -> Principal | str:
        """A staff principal as the database has it now (`fresh`: not from the cache), or the refusal code."""
        return refresh(p, await self.account(p.id, fresh))

    async def caller(self, p: Principal) -> Principal:
        """The caller of a request as the database has it now: users as they are, staff refreshed or refused."""
        if not p.is_staff:
            return p
        current = await self.current(p)
        if isinstance(current, str):
            raise ApiError(401 if current == "token_expired" else 403, current)
        return current


@dataclass
class StaffSessions:
    """The periodic re-check of this process's staff sockets."""

    sio: socketio.AsyncServer
    namespace: str
    store: Store
    presence: Presence
    interval_s: float

    async def check(self) -> None:
        """Disconnect or narrow every staff socket of this process whose account changed."""
        rows = await self.store.sessions.find({"process_id": self.presence.process_id}).to_list(None)
        if not rows:
            return
        ids = list({r["agent_id"] for r in rows})
        accounts = {a["_id"]: a for a in await self.store.agents.find({"_id": {"$in": ids}}, _FIELDS).to_list(None)}
        for row in rows:
            await self._apply(row["_id"], accounts.get(row["agent_id"]))

    async def _apply(self, sid: str, account: dict | None) -> None:
        try:
            session = await self.sio.get_session(sid, namespace=self.namespace)
        except KeyError:
            return
        p: Principal | None = session.get("principal")
        if p is None:
            return
        now_p = refresh(p, account)
        if isinstance(now_p, str):
            log.info("staff socket closed", extra={"agent": p.id, "reason": now_p})
            await self.sio.emit("session_ended", {"code": now_p}, to=sid, namespace=self.namespace)
            await self.sio.disconnect(sid, namespace=self.namespace)
            return
        if now_p.departments == p.departments:
            return
        before, after = department_rooms(p), department_rooms(now_p)
        for room in before - after:
            await self.sio.leave_room(sid, room, namespace=self.namespace)
        for room in after - before:
            await self.sio.enter_room(sid, room, namespace=self.namespace)
        session["principal"] = now_p
        await self.sio.save_session(sid, session, namespace=self.namespace)
        log.info("staff departments changed", extra={"agent": p.id, "departments": list(now_p.departments)})

"""The co-browse sessions of this process: their state, audit log, ownership and end."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from core.clock import now
from core.errors import ApiError
from core.ratelimit import RateLimiter
from core.settings import MediaSettings, get_settings
from media.cobrowse import Scrubber
from media.hub import Hub, Moved
from media.port import BOTH, Conversation, Participants, Principal, Role

log = logging.getLogger(__name__)


@dataclass
class Session:
    id: str
    conversation_id: str
    user_id: str
    agent_id: str
    agent_name: str
    mode: str  # dom | form
    state: str = "requested"  # requested | active | ended
    control: str = "off"  # off | requested | on
    started: float = field(default_factory=time.monotonic)
    created: float = field(default_factory=time.monotonic)
    seq: int = 0
    bytes: int = 0
    scrubber: Scrubber = field(default_factory=Scrubber)
    events_bucket: RateLimiter | None = None
    bytes_bucket: RateLimiter | None = None
    pointer_bucket: RateLimiter | None = None
    suggestions: dict[str, dict] = field(default_factory=dict)
    timer: asyncio.Task | None = None

    def public(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "session_id": self.id,
            "mode": self.mode,
            "state": self.state,
            "control": self.control,
        }

    def ref(self) -> dict[str, Any]:
        """The start of every relayed payload."""
        return {"conversation_id": self.conversation_id, "session_id": self.id}

    def agent(self) -> dict[str, str]:
        return {"id": self.agent_id, "name": self.agent_name}

    @property
    def participants(self) -> Participants:
        return Participants(self.conversation_id, self.user_id, self.agent_id)


def not_yours() -> ApiError:
    return ApiError(403, "forbidden", "您无权操作该会话")


class CobrowseSessions:
    """The co-browse sessions of this process (one per conversation)."""

    def __init__(self, hub: Hub, limits: MediaSettings | None = None) -> None:
        self.hub = hub
        self.limits = limits or get_settings().media
        self.by_conv: dict[str, Session] = {}

    async def _new(self, conv: Conversation, mode: str, state: str = "requested") -> Session:
        """A new session of this process; `Moved` when another process claimed the conversation's session."""
        lim = self.limits
        session = Session(
            id=uuid.uuid4().hex,
            conversation_id=conv.id,
            user_id=conv.user_id,
            agent_id=conv.agent_id or "",
            agent_name=conv.agent_name,
            mode=mode,
            state=state,
            events_bucket=RateLimiter.per_second(lim.cobrowse_batches_per_s, lim.cobrowse_batches_per_s * 2),
            bytes_bucket=RateLimiter.per_second(
                lim.cobrowse_bytes_per_s, max(lim.cobrowse_batch_bytes, lim.cobrowse_bytes_per_s) * 2
            ),
            pointer_bucket=RateLimiter.per_second(lim.cobrowse_pointer_per_s, lim.cobrowse_pointer_per_s),
        )
        self.by_conv[session.conversation_id] = session
        fields = {"user_id": session.user_id, "agent_id": session.agent_id, "agent_name": session.agent_name,
                  "mode": mode, "state": state}
        try:
            owner = await self.hub.claim("cobrowse", session.conversation_id, session.id, fields)
        except BaseException:
            self._forget(session)
            raise
        if owner is not None:
            self._forget(session)
            raise Moved(owner)
        return session

    def _forget(self, session: Session) -> None:
        if self.by_conv.get(session.conversation_id) is session:
            self.by_conv.pop(session.conversation_id)

    async def locate(self, event: str, data: dict) -> str | None:
        """The process holding the conversation's session, when it is not this one."""
        key = data.get("conversation_id")
        if isinstance(key, str) and key not in self.by_conv:
            return await self.hub.owners.owner("cobrowse", key)
        return None

    def _session(self, data: dict, states: tuple[str, ...] = ("active",),
                 owned_by: tuple[Principal, Role] | None = None) -> Session:
        """The session named by `data`; refused unless `owned_by` (when given) is its user or agent, then unless
        it is in one of `states` (ownership first: a stranger learns nothing of another session's state)."""
        key = data.get("conversation_id")
        session = self.by_conv.get(key) if isinstance(key, str) else None
        if session is None or (data.get("session_id") and data["session_id"] != session.id):
            raise ApiError(404, "cobrowse_not_found", "当前没有进行中的屏幕共享")
        if owned_by is not None:
            principal, role = owned_by
            if (session.user_id if role == "user" else session.agent_id) != principal.id:
                raise not_yours()
        if session.state not in states:
            raise ApiError(409, "cobrowse_not_active", "屏幕共享尚未开始或已结束")
        return session

    def _own_session(self, data: dict, principal: Principal, role: Role) -> Session:
        """The active session of `data` when `principal` is its user (role user) or its agent."""
        return self._session(data, owned_by=(principal, role))

    async def _send(self, session: Session, event: str, data: dict, roles: Collection[Role] = BOTH) -> None:
        await self.hub.send(session.participants, event, data, roles)

    async def _activate(self, session: Session) -> None:
        """A requested session becomes active (the user agreed, or shared a form)."""
        session.state = "active"
        if session.timer:
            session.timer.cancel()
        await self.hub.note("cobrowse", session.conversation_id, session.id, state="active", started_at=now())

    async def _audit(self, session: Session, kind: str, principal: Principal | None, **detail: Any) -> None:
        doc = {
            **session.ref(),
            "ts": now(),
            "kind": kind,
            "by": {"role": principal.role, "id": principal.id} if principal is not None else {"role": "system"},
        }
        doc.update(detail)
        try:
            await self.hub.desk.collections.cobrowse_events.insert_one(doc)
        except Exception:  # noqa: BLE001 - relaying goes on; the failure is logged
            log.exception("cobrowse audit write failed")

    async def _end(self, session: Session, principal: Principal | None, reason: str, orphan: bool = False) -> None:
        """End a session of this process (or report the end of an `orphan`, a session of a lost process)."""
        if session.state == "ended":
            return
        session.state, session.control = "ended", "off"
        if session.timer and session.timer is not asyncio.current_task():
            session.timer.cancel()
        self._forget(session)
        if not orphan and not await self.hub.release("cobrowse", session.conversation_id, session.id):
            return  # another process took this one for dead and already told both sides
        state = session.public() | {"reason": reason, "by": principal.role if principal else "system"}
        await self._send(session, "cobrowse_state", state)
        duration = round(time.monotonic() - session.started, 1)
        await self._audit(session, "stop", principal, reason=reason, batches=session.seq, bytes=session.bytes)
        await self.hub.timeline(
            session.conversation_id,
            "cobrowse_ended",
            principal,
            {"session_id": session.id, "reason": reason, "duration_s": duration, "mode": session.mode},
        )

    async def _expire(self, session: Session) -> None:
        await asyncio.sleep(self.limits.cobrowse_consent_timeout_s)
        if session.state == "requested":
            await self._end(session, None, "timeout")

    async def end_for_conversation(self, conversation_id: str, reason: str = "conversation_closed") -> None:
        """Stop the conversation's session (call when it closes or is transferred)."""
        session = self.by_conv.get(conversation_id)
        if session is not None:
            await self._end(session, None, reason)

    async def end_orphan(self, doc: dict) -> None:
        """Report the end of a session whose process stopped (`doc`: its `media_sessions` entry)."""
        session = Session(doc["session_id"], doc["conversation_id"], doc["user_id"], doc["agent_id"],
                          doc.get("agent_name", ""), doc["mode"], state=doc.get("state", "requested"))
        if doc.get("started_at") is not None:
            session.started = time.monotonic() - (now() - doc["started_at"]).total_seconds()
        await self._end(session, None, "connection_lost", orphan=True)

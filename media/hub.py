"""What the co-browse and call handlers share: who is calling, which conversation, where to send.

With several bridge processes (`cluster` set), an event for a session held by another process is
forwarded to that process (`locate` names it), which handles it as a local event and answers the ack.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import socketio

from media.errors import MediaError, media_unavailable

log = logging.getLogger(__name__)
USER_NS, AGENT_NS = "/user", "/agent"


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who sent an event and from which socket (possibly a socket of another process)."""

    principal: Any
    sid: str
    namespace: str


Handler = Callable[[Caller, dict], Awaitable[dict]]
Locate = Callable[[str, dict], Awaitable[str | None]]  # (event, data) -> owning process when not this one


class Moved(Exception):
    """Another process claimed the session this event would create: forward the event there."""

    def __init__(self, process_id: str) -> None:
        super().__init__(process_id)
        self.process_id = process_id


def principal_to_dict(principal: Any) -> dict:
    if dataclasses.is_dataclass(principal):
        return dataclasses.asdict(principal)
    return {k: getattr(principal, k) for k in ("id", "role", "name", "departments") if hasattr(principal, k)}


def principal_from_dict(data: dict) -> Any:
    """The principal of a forwarded event (attributes only; its process checked the token)."""
    return SimpleNamespace(**{**data, "departments": tuple(data.get("departments") or ())})


def conv_id(conv: dict) -> str:
    return conv["_id"] if "_id" in conv else conv["id"]


def now() -> datetime:
    return datetime.now(UTC)


def internal_error() -> dict:
    return {"ok": False, "error": {"code": "internal", "message": "服务暂时不可用，请稍后再试"}}


class Hub:
    """Access to the bridge context for media handlers, and the routing of their events."""

    def __init__(self, sio: socketio.AsyncServer, ctx: Any) -> None:
        self.sio = sio
        self.ctx = ctx
        self.cluster: Any = None  # media.cluster.Cluster with several processes
        self.owners: Any = None  # media.owners.Owners with several processes
        self.handlers: dict[tuple[str, str], Handler] = {}

    async def principal(self, sid: str, namespace: str) -> Any:
        principal = self.ctx.sessions.principal(sid, namespace)
        if inspect.isawaitable(principal):
            principal = await principal
        if principal is None:
            raise MediaError("unauthorized", "登录已失效，请重新登录", 401)
        return principal

    async def conversation(self, principal: Any, conversation_id: Any, *, need_agent: bool = True) -> dict:
        """The conversation when the caller is its user or its assigned agent; `forbidden` otherwise."""
        if not isinstance(conversation_id, str) or not conversation_id:
            raise MediaError("bad_request", "缺少会话编号", 400)
        forbidden = MediaError("forbidden", "您无权操作该会话", 403)
        if not await self.ctx.access.can_access(principal, conversation_id):
            raise forbidden
        conv = await self.ctx.conversations.get(conversation_id)
        if conv is None:
            raise forbidden
        agent = conv.get("agent") or {}
        if principal.role == "user":
            if conv["user"]["id"] != principal.id:
                raise forbidden
        elif agent.get("id") != principal.id:
            raise forbidden
        if need_agent and (not agent or conv.get("state") != "with_agent"):
            raise MediaError("no_agent", "当前会话没有人工客服接待，无法使用该功能", 409)
        return conv

    async def to_user(self, user_id: str, event: str, data: dict, skip_sid: str | None = None) -> None:
        await self.sio.emit(event, data, room=f"u:{user_id}", namespace=USER_NS, skip_sid=skip_sid)

    async def to_agent(self, agent_id: str, event: str, data: dict, skip_sid: str | None = None) -> None:
        await self.sio.emit(event, data, room=f"a:{agent_id}", namespace=AGENT_NS, skip_sid=skip_sid)

    async def to_both(self, user_id: str, agent_id: str, event: str, data: dict) -> None:
        await self.to_user(user_id, event, data)
        await self.to_agent(agent_id, event, data)

    async def timeline(
        self, conversation_id: str, event: str, principal: Any, detail: dict | None = None
    ) -> None:
        by = {"role": principal.role, "id": principal.id} if principal is not None else {"role": "system"}
        try:
            await self.ctx.timeline.add(conversation_id, event, by, detail or {})
        except Exception:  # noqa: BLE001 - the timeline must not break the live feature
            log.exception("timeline add failed for %s %s", conversation_id, event)

    # --- routing ---

    def on(self, namespace: str, event: str, fn: Handler, locate: Locate | None = None) -> None:
        """Register `fn` for `event`; it always answers an ack dict, from the owning process if need be."""
        self.handlers[(namespace, event)] = fn

        async def handler(sid: str, data: Any = None) -> dict:
            payload = data if isinstance(data, dict) else {}
            try:
                caller = Caller(await self.principal(sid, namespace), sid, namespace)
                owner = await locate(event, payload) if locate is not None and self.cluster else None
                if owner is None:
                    try:
                        return await fn(caller, payload)
                    except Moved as moved:
                        owner = moved.process_id
                return await self.forward(owner, caller, event, payload)
            except MediaError as exc:
                return exc.ack()
            except Exception:  # noqa: BLE001
                log.exception("media handler %s failed", event)
                return internal_error()

        handler.__name__ = event
        self.sio.on(event, handler=handler, namespace=namespace)

    async def forward(self, process_id: str, caller: Caller, event: str, data: dict) -> dict:
        body = {"op": "event", "ns": caller.namespace, "event": event, "sid": caller.sid,
                "principal": principal_to_dict(caller.principal), "data": data}
        return await self.cluster.request(process_id, body)

    async def serve_event(self, body: dict) -> dict:
        """Handle an event forwarded by another process as a local one (never forwarded again)."""
        fn = self.handlers.get((body.get("ns"), body.get("event")))
        try:
            if fn is None:
                raise MediaError("bad_request", "未知的操作", 400)
            caller = Caller(principal_from_dict(body["principal"]), body["sid"], body["ns"])
            return await fn(caller, body.get("data") or {})
        except Moved:
            return media_unavailable().ack()
        except MediaError as exc:
            return exc.ack()
        except Exception:  # noqa: BLE001
            log.exception("forwarded media event %s failed", body.get("event"))
            return internal_error()

    # --- ownership (no-ops with one process) ---

    async def claim(self, kind: str, conversation_id: str, session_id: str, fields: dict) -> str | None:
        if self.owners is None:
            return None
        return await self.owners.claim(kind, conversation_id, session_id, fields)

    async def note(self, kind: str, conversation_id: str, session_id: str, **fields: Any) -> None:
        if self.owners is not None:
            await self.owners.note(kind, conversation_id, session_id, **fields)

    async def release(self, kind: str, conversation_id: str, session_id: str) -> bool:
        """Forget the owner of an ended session; False when its end was already reported elsewhere."""
        if self.owners is None:
            return True
        return await self.owners.release(kind, conversation_id, session_id)

"""What the co-browse and call handlers share: who is calling, which conversation, where to send.

With several bridge processes (`cluster` set), an event for a session held by another process is
forwarded to that process (`locate` names it), which handles it as a local event and answers the ack.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Collection
from types import SimpleNamespace
from typing import Any

import socketio

from core.errors import ApiError, ack_error
from core.ratelimit import RateLimiter
from core.settings import get_settings
from media.cluster import media_unavailable
from media.port import BOTH, Conversation, DeskPort, Participants, Principal, Role

log = logging.getLogger(__name__)
USER_NS, AGENT_NS = "/user", "/agent"
MAX_BUCKETS = 4096


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who sent an event and from which socket (possibly a socket of another process)."""

    principal: Principal
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


def refusal(exc: ApiError) -> dict:
    """The ack of a refused media event."""
    return ack_error(exc.code, exc.message, **exc.extra)


def internal_error() -> dict:
    return ack_error("internal", "服务暂时不可用，请稍后再试")


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "您无权操作该会话")


class Hub:
    """The desk as media handlers use it (through `DeskPort`), and the routing of their events."""

    def __init__(self, sio: socketio.AsyncServer, desk: DeskPort) -> None:
        self.sio = sio
        self.desk = desk
        self.cluster: Any = None  # media.cluster.Cluster with several processes
        self.owners: Any = None  # media.owners.Owners with several processes
        self.handlers: dict[tuple[str, str], Handler] = {}
        rate = get_settings().media.events_per_s
        self.limiter = RateLimiter.per_second(rate, 2 * rate)  # per socket, every media event

    async def principal(self, sid: str, namespace: str) -> Principal:
        principal = await self.desk.socket_principal(sid, namespace)
        if principal is None:
            raise ApiError(401, "unauthorized", "登录已失效，请重新登录")
        return principal

    async def conversation(
        self, principal: Principal, conversation_id: Any, *, need_agent: bool = True
    ) -> Conversation:
        """The conversation when the caller is its user or its assigned agent; `forbidden` otherwise."""
        if not isinstance(conversation_id, str) or not conversation_id:
            raise ApiError(400, "bad_request", "缺少会话编号")
        conv = await self.desk.conversation(principal, conversation_id)
        if conv is None:
            raise forbidden()
        if principal.id != (conv.user_id if principal.role == "user" else conv.agent_id):
            raise forbidden()
        if need_agent and (not conv.agent_id or conv.state != "with_agent"):
            raise ApiError(409, "no_agent", "当前会话没有人工客服接待，无法使用该功能")
        return conv

    async def send(self, to: Participants, event: str, data: dict, roles: Collection[Role] = BOTH) -> None:
        """Send an event to the conversation's user and/or agent (through the desk)."""
        await self.desk.deliver(to, event, data, roles)

    async def timeline(
        self, conversation_id: str, event: str, principal: Principal | None, detail: dict | None = None
    ) -> None:
        by = {"role": principal.role, "id": principal.id} if principal is not None else {"role": "system"}
        try:
            await self.desk.post_timeline(conversation_id, event, by, detail or {})
        except Exception:  # noqa: BLE001 - the timeline must not break the live feature
            log.exception("timeline add failed for %s %s", conversation_id, event)

    # --- routing ---

    def on(self, namespace: str, event: str, fn: Handler, locate: Locate | None = None) -> None:
        """Register `fn` for `event`; it always answers an ack dict, from the owning process if need be."""
        self.handlers[(namespace, event)] = fn

        async def handler(sid: str, data: Any = None) -> dict:
            payload = data if isinstance(data, dict) else {}
            if not self._allow(namespace, sid):
                return ack_error("rate_limited")
            try:
                caller = Caller(await self.principal(sid, namespace), sid, namespace)
                owner = await locate(event, payload) if locate is not None and self.cluster else None
                if owner is None:
                    try:
                        return await fn(caller, payload)
                    except Moved as moved:
                        owner = moved.process_id
                return await self.forward(owner, caller, event, payload)
            except ApiError as exc:
                return refusal(exc)
            except Exception:  # noqa: BLE001
                log.exception("media handler %s failed", event)
                return internal_error()

        handler.__name__ = event
        self.sio.on(event, handler=handler, namespace=namespace)

    def _allow(self, namespace: str, sid: str) -> bool:
        if len(self.limiter) > MAX_BUCKETS:  # sockets come and go; their buckets must not pile up
            self.limiter.prune_idle()
        return self.limiter.allow(f"{namespace}:{sid}")

    async def forward(self, process_id: str, caller: Caller, event: str, data: dict) -> dict:
        body = {"op": "event", "ns": caller.namespace, "event": event, "sid": caller.sid,
                "principal": principal_to_dict(caller.principal), "data": data}
        return await self.cluster.request(process_id, body)

    async def serve_event(self, body: dict) -> dict:
        """Handle an event forwarded by another process as a local one (never forwarded again)."""
        fn = self.handlers.get((body.get("ns"), body.get("event")))
        try:
            if fn is None:
                raise ApiError(400, "bad_request", "未知的操作")
            caller = Caller(principal_from_dict(body["principal"]), body["sid"], body["ns"])
            return await fn(caller, body.get("data") or {})
        except Moved:
            return refusal(media_unavailable())
        except ApiError as exc:
            return refusal(exc)
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

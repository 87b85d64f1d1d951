"""What the co-browse and call handlers share: who is calling, which conversation, where to send."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import socketio

from media.errors import MediaError

log = logging.getLogger(__name__)
USER_NS, AGENT_NS = "/user", "/agent"
Handler = Callable[[str, Any], Awaitable[dict]]


def conv_id(conv: dict) -> str:
    return conv["_id"] if "_id" in conv else conv["id"]


def now() -> datetime:
    return datetime.now(UTC)


def internal_error() -> dict:
    return {"ok": False, "error": {"code": "internal", "message": "服务暂时不可用，请稍后再试"}}


class Hub:
    """Access to the bridge context for media handlers."""

    def __init__(self, sio: socketio.AsyncServer, ctx: Any) -> None:
        self.sio = sio
        self.ctx = ctx

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


def acked(fn: Handler) -> Handler:
    """Wrap a handler so that it always answers an ack dict."""

    @functools.wraps(fn)
    async def wrapper(sid: str, data: Any = None) -> dict:
        try:
            return await fn(sid, data if isinstance(data, dict) else {})
        except MediaError as exc:
            return exc.ack()
        except Exception:  # noqa: BLE001
            log.exception("media handler %s failed", fn.__name__)
            return internal_error()

    return wrapper


def on(sio: socketio.AsyncServer, namespace: str, event: str, fn: Handler) -> None:
    sio.on(event, handler=acked(fn), namespace=namespace)

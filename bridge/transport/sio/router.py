"""Registration of Socket.IO event handlers with the checks every event needs.

Each handler gets (sid, principal, payload) after: an authenticated session,
the per-connection rate limit, and payload validation. Refusals and failures
become `{"ok": false, "error": ...}` acks; nothing is changed on a refusal, and
a database failure is reported, never acknowledged as success.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from pymongo.errors import PyMongoError

from bridge.infra.metrics import REFUSED
from bridge.transport.schemas import Payload, parse
from core.errors import ApiError, ack_error

log = logging.getLogger("bangban.events")
Handler = Callable[..., Awaitable[dict | None]]


class EventRouter:
    def __init__(self, sio: socketio.AsyncServer, ctx: Any, namespace: str) -> None:
        self.sio = sio
        self.ctx = ctx
        self.namespace = namespace

    def on(self, event: str, model: type[Payload] | None = None, cost: float = 1.0,
           roles: tuple[str, ...] | None = None) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            async def wrapped(sid: str, data: Any = None) -> dict | None:
                principal = await self.ctx.sessions.principal(sid, self.namespace)
                if principal is None:
                    return ack_error("unauthorized")
                if not self.ctx.limiter.allow(f"{self.namespace}:{sid}", cost):
                    return ack_error("rate_limited")
                if roles and principal.role not in roles:
                    return ack_error("forbidden")
                payload = None
                if model is not None:
                    payload, err = parse(model, data)
                    if err:
                        return err
                try:
                    result = await fn(sid, principal, payload)
                except ApiError as exc:
                    return ack_error(exc.code, exc.message, **exc.extra)
                except PyMongoError:
                    log.warning("database error in %s", event, exc_info=True)
                    return ack_error("db_unavailable")
                except Exception:
                    log.exception("handler %s failed", event)
                    return ack_error("internal")
                if result is not None and result.get("ok") is False:
                    REFUSED.labels(result["error"]["code"]).inc()
                return result if result is not None else {"ok": True}

            self.sio.on(event, namespace=self.namespace)(wrapped)
            return fn

        return deco

"""Registration of Socket.IO event handlers with the checks every event needs.

A handler is a module-level `async def handler(ctx, call, payload)`; a namespace lists its
handlers in a table of `Event`s. Each handler runs after: an authenticated session, the
per-connection rate limit, the role check and payload validation. Refusals and failures become
`{"ok": false, "error": ...}` acks; nothing is changed on a refusal, and a database failure is
reported, never acknowledged as success.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import socketio
from pymongo.errors import PyMongoError

from bridge.context import AppContext
from bridge.domain.auth import AuthError, Principal
from bridge.infra.metrics import REFUSED
from bridge.transport.schemas import Payload, parse
from core.errors import MESSAGES, ApiError, ack_error

log = logging.getLogger("bangban.events")


@dataclass(frozen=True)
class Call:
    """Who sent an event: the socket and the principal of its session."""

    sid: str
    principal: Principal
    namespace: str


Handler = Callable[[AppContext, Call, Any], Awaitable[dict | None]]


@dataclass(frozen=True)
class Event:
    """One row of a namespace's registration table."""

    name: str
    handler: Handler
    model: type[Payload] | None = None
    cost: float = 1.0
    roles: tuple[str, ...] | None = None


def refuse(code: str, **extra: Any) -> socketio.exceptions.ConnectionRefusedError:
    """The refusal of a connection, with the contract's code and Chinese message."""
    return socketio.exceptions.ConnectionRefusedError(MESSAGES[code], {"code": code, **extra})


def verify_token(ctx: AppContext, auth: Any) -> Principal:
    """The principal of the connection's `auth.token`; refuses the connection otherwise."""
    token = auth.get("token") if isinstance(auth, dict) else None
    try:
        return ctx.tokens.verify(token)
    except AuthError as exc:
        raise refuse(exc.code, reason=exc.reason) from None


def register_events(sio: socketio.AsyncServer, ctx: AppContext, namespace: str, events: Iterable[Event]) -> None:
    """Register every event of the table on `namespace`."""
    for event in events:
        sio.on(event.name, namespace=namespace)(_checked(ctx, namespace, event))


def _checked(ctx: AppContext, namespace: str, event: Event) -> Callable[..., Awaitable[dict]]:
    async def run(sid: str, data: Any = None) -> dict:
        principal = await ctx.sessions.principal(sid, namespace)
        if principal is None:
            return ack_error("unauthorized")
        if not ctx.limiter.allow(f"{namespace}:{sid}", event.cost):
            return ack_error("rate_limited")
        if event.roles and principal.role not in event.roles:
            return ack_error("forbidden")
        payload = None
        if event.model is not None:
            payload, err = parse(event.model, data)
            if err:
                return err
        try:
            result = await event.handler(ctx, Call(sid, principal, namespace), payload)
        except ApiError as exc:
            return ack_error(exc.code, exc.message, **exc.extra)
        except PyMongoError:
            log.warning("database error in %s", event.name, exc_info=True)
            return ack_error("db_unavailable")
        except Exception:
            log.exception("handler %s failed", event.name)
            return ack_error("internal")
        if result is not None and result.get("ok") is False:
            REFUSED.labels(result["error"]["code"]).inc()
        return result if result is not None else {"ok": True}

    return run

"""Open `/user` sockets end when their token expires.

One timer per socket, armed at connect for the token's `exp` and cancelled at disconnect: no periodic
scan, so 5,000 open sockets cost 5,000 idle timer handles. When it fires the client gets
`session_ended {code: token_expired}` and the socket is closed; reconnecting needs a fresh token.
"""

from __future__ import annotations

import asyncio
import logging
import time

import socketio

log = logging.getLogger("bangban.user")


class TokenExpiry:
    """The expiry timers of one namespace's sockets in this process."""

    def __init__(self, sio: socketio.AsyncServer, namespace: str) -> None:
        self.sio = sio
        self.namespace = namespace
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._ending: set[asyncio.Task] = set()

    def arm(self, sid: str, expires_at: float) -> None:
        """End socket `sid` at `expires_at` (epoch seconds; 0 means unknown: never)."""
        if not expires_at:
            return
        self.disarm(sid)
        delay = max(0.0, expires_at - time.time())
        self._timers[sid] = asyncio.get_running_loop().call_later(delay, self._fire, sid)

    def disarm(self, sid: str) -> None:
        handle = self._timers.pop(sid, None)
        if handle is not None:
            handle.cancel()

    def _fire(self, sid: str) -> None:
        self._timers.pop(sid, None)
        task = asyncio.ensure_future(self._end(sid))
        self._ending.add(task)
        task.add_done_callback(self._ending.discard)

    async def _end(self, sid: str) -> None:
        try:
            await self.sio.emit("session_ended", {"code": "token_expired"}, to=sid, namespace=self.namespace)
            await self.sio.disconnect(sid, namespace=self.namespace)
        except Exception:  # noqa: BLE001 - the socket may already be gone
            log.warning("ending an expired socket failed", exc_info=True)
        else:
            log.info("user socket closed", extra={"reason": "token_expired"})

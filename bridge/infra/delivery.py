"""Fan-out of events to the people of a conversation through Socket.IO rooms (see `bridge/infra/rooms.py`)."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

from bridge.infra import rooms
from bridge.infra.rooms import STAFF_NS, USER_NS


class Delivery:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def to_conversation(
        self, conv: dict, event: str, data: dict[str, Any], skip_sid: str | None = None
    ) -> None:
        """Send `event` to the user's devices, the assigned agent and watchers.

        The two emits (one per namespace) go out together: with several processes each is a Redis
        publish, and started together they share one pipeline of the group publish instead of the
        second waiting for the first's round trip (`sio_manager.py`).
        """
        targets = [rooms.watch(conv["_id"])]
        agent = conv.get("agent")
        if agent:
            targets.append(rooms.staff(agent["id"]))
        await asyncio.gather(
            self.sio.emit(event, data, room=rooms.user(conv["user"]["id"]), namespace=USER_NS, skip_sid=skip_sid),
            self.sio.emit(event, data, room=targets, namespace=STAFF_NS, skip_sid=skip_sid))

    def user_here(self, user_id: str) -> bool:
        """Whether the citizen has a socket on THIS process (the manager's rooms hold local sids only)."""
        return bool(self.sio.manager.rooms.get(USER_NS, {}).get(rooms.user(user_id)))

    async def to_user(self, user_id: str, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, room=rooms.user(user_id), namespace=USER_NS)

    async def to_staff(self, staff_id: str, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, room=rooms.staff(staff_id), namespace=STAFF_NS)

    async def to_department(self, department: str, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, room=rooms.department(department), namespace=STAFF_NS)

    async def to_supervisors(self, department: str, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, room=[rooms.supervisors(department), rooms.all_supervisors()],
                            namespace=STAFF_NS)

"""Fan-out of events to the people of a conversation through Socket.IO rooms (see `bridge/infra/rooms.py`)."""

from __future__ import annotations

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

        With several processes the two emits (one per namespace) go out as one Redis publish
        (`RedisManager.emit_together`): one message for the other processes to receive and decode,
        and no second publish waiting for the first one's round trip.
        """
        targets = [rooms.watch(conv["_id"])]
        agent = conv.get("agent")
        if agent:
            targets.append(rooms.staff(agent["id"]))
        emits = [(event, data, USER_NS, rooms.user(conv["user"]["id"]), skip_sid),
                 (event, data, STAFF_NS, targets, skip_sid)]
        await self.sio.manager.emit_together(emits)

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

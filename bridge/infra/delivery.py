"""Fan-out of events to the people of a conversation through Socket.IO rooms.

Rooms (shared across bridge processes through the client manager):
- `/user`  `u:<user_id>`: every socket of a user (all devices);
- `/agent` `a:<agent_id>`: every socket of a staff member;
- `/agent` `w:<conversation_id>`: supervisors watching a conversation;
- `/agent` `d:<department>`: agents and supervisors of a department (queue counts);
- `/agent` `sup:<department>`: supervisors of a department (alerts).
"""

from __future__ import annotations

from typing import Any

import socketio


class Delivery:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def to_conversation(
        self, conv: dict, event: str, data: dict[str, Any], skip_sid: str | None = None
    ) -> None:
        """Send `event` to the user's devices, the assigned agent and watchers."""
        await self.sio.emit(event, data, room=f"u:{conv['user']['id']}", namespace="/user", skip_sid=skip_sid)
        rooms = [f"w:{conv['_id']}"]
        agent = conv.get("agent")
        if agent:
            rooms.append(f"a:{agent['id']}")
        await self.sio.emit(event, data, room=rooms, namespace="/agent", skip_sid=skip_sid)

    async def to_user(self, user_id: str, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, room=f"u:{user_id}", namespace="/user")

    async def to_staff(self, staff_id: str, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, room=f"a:{staff_id}", namespace="/agent")

    async def to_department(self, department: str, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, room=f"d:{department}", namespace="/agent")

    async def to_supervisors(self, department: str, event: str, data: dict[str, Any]) -> None:
        await self.sio.emit(event, data, room=[f"sup:{department}", "sup:*"], namespace="/agent")

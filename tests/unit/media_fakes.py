"""A stand-in for the help desk behind media's port (`media.port.DeskPort`) in media tests."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from core.errors import ApiError
from media.port import BOTH, Conversation, MediaCollections, Participants, Role


@dataclass
class Principal:
    id: str
    role: str
    name: str = ""
    departments: list[str] = field(default_factory=list)


def collections_of(db: Any) -> MediaCollections:
    return MediaCollections(db=db, media=db["media"], cobrowse_events=db["cobrowse_events"],
                            media_sessions=db["media_sessions"])


class FakeDesk:
    """Conversations in memory, `Authorization: Bearer <id>:<role>`, timeline and deliveries recorded.

    `sio` set: events go to the rooms `u:<user id>` (/user) and `a:<agent id>` (/agent) that the test
    server's sockets join.
    """

    def __init__(self, db: Any, sio: Any = None) -> None:
        self.collections = collections_of(db)
        self.sio = sio
        self.process_id, self.process_dead_s = "test-process", 15.0
        self.items: dict[str, dict[str, Any]] = {}
        self.by_sid: dict[tuple[str, str], Principal] = {}
        self.entries: list[tuple] = []
        self.delivered: list[tuple] = []

    def add(self, cid: str, user_id: str, agent_id: str | None, state: str = "with_agent") -> None:
        agent = {"id": agent_id, "name": f"坐席{agent_id}"} if agent_id else None
        self.items[cid] = {"_id": cid, "user": {"id": user_id, "name": "市民"}, "agent": agent, "state": state}

    def _may(self, principal: Principal, conv: dict) -> bool:
        if principal.role in ("supervisor", "admin"):
            return True
        if principal.role == "user":
            return conv["user"]["id"] == principal.id
        return bool(conv["agent"]) and conv["agent"]["id"] == principal.id

    async def live_process_ids(self) -> set[str]:
        return {self.process_id}

    async def socket_principal(self, sid: str, namespace: str) -> Principal | None:
        return self.by_sid.get((sid, namespace))

    async def request_principal(self, request) -> Principal:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or ":" not in header:
            raise ApiError(401, "unauthorized", "请先登录")
        pid, role = header[7:].split(":", 1)
        return Principal(pid, role, name=pid)

    async def conversation(self, principal: Principal, conversation_id: str) -> Conversation | None:
        conv = self.items.get(conversation_id)
        if conv is None or not self._may(principal, conv):
            return None
        agent = conv["agent"] or {}
        return Conversation(conv["_id"], conv["state"], conv["user"]["id"], agent.get("id"), agent.get("name", ""))

    async def post_timeline(self, cid: str, event: str, by: Any, detail: dict) -> None:
        self.entries.append((cid, event, by, detail))

    async def may_upload_own(self, principal: Principal) -> bool:
        return principal.role == "volunteer"

    async def may_read_own(self, principal: Principal, owner_id: str, media_id: str) -> bool:
        return principal.id == owner_id

    async def deliver(self, to: Participants, event: str, data: dict, roles: Collection[Role] = BOTH) -> None:
        self.delivered.append((to, event, roles))
        if self.sio is None:
            return
        if "user" in roles:
            await self.sio.emit(event, data, room=f"u:{to.user_id}", namespace="/user")
        if "agent" in roles and to.agent_id:
            await self.sio.emit(event, data, room=f"a:{to.agent_id}", namespace="/agent")


def signalling_app(db: Any, conversations: list[tuple[str, str, str]], **sio_kwargs: Any) -> tuple[Any, Any, Any]:
    """An aiohttp app with only the media events, over a fake desk.

    `conversations` are (conversation id, user id, agent id); clients authenticate with the token
    `<id>:<role>`. Returns (app, desk, media hub).
    """
    import socketio
    from aiohttp import web

    from media import signalling

    sio = socketio.AsyncServer(async_mode="aiohttp", **sio_kwargs)
    app = web.Application()
    sio.attach(app)
    desk = FakeDesk(db, sio)
    for cid, uid, aid in conversations:
        desk.add(cid, uid, aid)
    for ns, room in (("/user", "u"), ("/agent", "a")):

        def make(ns: str = ns, room: str = room):
            async def connect(sid, environ, auth):
                pid, role = auth["token"].split(":")
                desk.by_sid[(sid, ns)] = Principal(pid, role, name=pid)
                await sio.enter_room(sid, f"{room}:{pid}", namespace=ns)

            return connect

        sio.on("connect", handler=make(), namespace=ns)
    return app, desk, signalling.register(sio, desk)

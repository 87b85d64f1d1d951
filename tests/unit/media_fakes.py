"""Stand-ins for the bridge's context (auth, access, conversations, timeline) in media tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from media.errors import MediaError


@dataclass
class Principal:
    id: str
    role: str
    name: str = ""
    departments: list[str] = field(default_factory=list)


class FakeAuth:
    """`Authorization: Bearer <id>:<role>`."""

    async def principal_from_request(self, request) -> Principal:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or ":" not in header:
            raise MediaError("unauthorized", "请先登录", 401)
        pid, role = header[7:].split(":", 1)
        return Principal(pid, role, name=pid)


class FakeConversations:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def add(self, cid: str, user_id: str, agent_id: str | None, state: str = "with_agent") -> None:
        agent = {"id": agent_id, "name": f"坐席{agent_id}"} if agent_id else None
        self.items[cid] = {
            "_id": cid,
            "user": {"id": user_id, "name": "市民"},
            "agent": agent,
            "state": state,
        }

    async def get(self, cid: str) -> dict[str, Any] | None:
        return self.items.get(cid)


class FakeAccess:
    def __init__(self, conversations: FakeConversations) -> None:
        self.conversations = conversations

    async def can_access(self, principal: Principal, cid: str) -> bool:
        conv = self.conversations.items.get(cid)
        if conv is None:
            return False
        if principal.role in ("supervisor", "admin"):
            return True
        if principal.role == "user":
            return conv["user"]["id"] == principal.id
        return bool(conv["agent"]) and conv["agent"]["id"] == principal.id


class FakeTimeline:
    def __init__(self) -> None:
        self.entries: list[tuple] = []

    async def add(self, cid: str, event: str, by: Any, detail: dict | None = None) -> None:
        self.entries.append((cid, event, by, detail or {}))


class FakeSessions:
    def __init__(self) -> None:
        self.by_sid: dict[tuple[str, str], Principal] = {}

    def principal(self, sid: str, namespace: str) -> Principal | None:
        return self.by_sid.get((sid, namespace))


def signalling_app(db: Any, conversations: list[tuple[str, str, str]], **sio_kwargs: Any) -> tuple[Any, Any, Any]:
    """An aiohttp app with only the media events, over fakes of the bridge's context.

    `conversations` are (conversation id, user id, agent id); clients authenticate with the token
    `<id>:<role>`. Returns (app, ctx, media hub).
    """
    from types import SimpleNamespace

    import socketio
    from aiohttp import web

    from media import signalling

    sio = socketio.AsyncServer(async_mode="aiohttp", **sio_kwargs)
    app = web.Application()
    sio.attach(app)
    convs = FakeConversations()
    for cid, uid, aid in conversations:
        convs.add(cid, uid, aid)
    sessions = FakeSessions()
    ctx = SimpleNamespace(
        store=SimpleNamespace(db=db, media=db["media"], cobrowse_events=db["cobrowse_events"]),
        access=FakeAccess(convs), conversations=convs, sessions=sessions, timeline=FakeTimeline(),
    )
    for ns, room in (("/user", "u"), ("/agent", "a")):

        def make(ns: str = ns, room: str = room):
            async def connect(sid, environ, auth):
                pid, role = auth["token"].split(":")
                sessions.by_sid[(sid, ns)] = Principal(pid, role, name=pid)
                await sio.enter_room(sid, f"{room}:{pid}", namespace=ns)

            return connect

        sio.on("connect", handler=make(), namespace=ns)
    return app, ctx, signalling.register(sio, ctx)

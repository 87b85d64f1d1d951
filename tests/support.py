"""Test support: a running system, staff accounts, tokens and event-collecting Socket.IO clients."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import aiohttp
import socketio

from bridge.admin import create_agent
from core.db import Store, connect
from core.settings import load_settings
from ops.system import System

STAFF_PASSWORD = "Test-passw0rd-1"


class Client:
    """A Socket.IO client on one namespace that records every event it receives."""

    def __init__(self, base_url: str, namespace: str, token: str) -> None:
        self.base_url = base_url
        self.ns = namespace
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        self.sio.on("*", self._record, namespace=namespace)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))
        self._changed.set()

    async def connect(self) -> Client:
        await self.sio.connect(self.base_url, namespaces=[self.ns], auth={"token": self.token},
                               transports=["websocket"], wait_timeout=10)
        return self

    async def call(self, event: str, data: Any = None, timeout: float = 15) -> Any:
        return await self.sio.call(event, data, namespace=self.ns, timeout=timeout)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data, namespace=self.ns)

    def of(self, event: str, **match: Any) -> list[Any]:
        return [d for e, d in self.events if e == event and all(
            isinstance(d, dict) and d.get(k) == v for k, v in match.items())]

    async def wait_for(self, event: str, timeout: float = 15, pred=None, **match: Any) -> Any:
        """The first recorded `event` matching `match` and `pred` (waits until it comes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for d in self.of(event, **match):
                if pred is None or pred(d):
                    return d
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no {event} {match} within {timeout}s; got {[e for e, _ in self.events][-20:]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass

    def messages(self, conversation_id: str) -> list[dict]:
        return [d for e, d in self.events if e == "message" and d.get("conversation_id") == conversation_id]

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


@dataclasses.dataclass
class Harness:
    system: System
    store: Store
    clients: list[Client] = dataclasses.field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.system.base_url

    async def http(self, method: str, path: str, token: str | None = None, **kw) -> tuple[int, Any]:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with aiohttp.ClientSession() as s:
            async with s.request(method, self.base_url + path, headers=headers, **kw) as r:
                try:
                    body = await r.json(content_type=None)
                except ValueError:
                    body = await r.text()
                return r.status, body

    async def user_token(self, sub: str | None = None, name: str = "测试用户", channel: str = "app",
                         kind: str = "person", ttl_s: int | None = None) -> str:
        body = {"sub": sub or f"u-{uuid.uuid4().hex[:10]}", "name": name, "channel": channel, "kind": kind}
        if ttl_s:
            body["ttl_s"] = ttl_s
        status, data = await self.http("POST", "/api/v1/dev/user-token", json=body)
        assert status == 200, data
        return data["token"]

    async def make_staff(self, departments: list[str], role: str = "agent", capacity: int | None = None,
                         name: str = "测试坐席") -> tuple[str, str]:
        username = f"{role[:3]}-{uuid.uuid4().hex[:8]}"
        await create_agent(self.store, username, STAFF_PASSWORD, name, departments, role, capacity)
        return username, STAFF_PASSWORD

    async def staff_token(self, username: str, password: str = STAFF_PASSWORD) -> str:
        status, data = await self.http("POST", "/api/v1/agents/login",
                                       json={"username": username, "password": password})
        assert status == 200, data
        return data["token"]

    async def user(self, sub: str | None = None, **kw) -> Client:
        return await self.connect("/user", await self.user_token(sub, **kw))

    async def agent(self, departments: list[str], role: str = "agent", capacity: int | None = None,
                    online: bool = True) -> Client:
        username, password = await self.make_staff(departments, role, capacity)
        client = await self.connect("/agent", await self.staff_token(username, password))
        client.username = username  # type: ignore[attr-defined]
        if online:
            ack = await client.call("presence", {"status": "online"})
            assert ack["ok"], ack
        return client

    async def connect(self, namespace: str, token: str, base_url: str | None = None) -> Client:
        client = Client(base_url or self.base_url, namespace, token)
        await client.connect()
        self.clients.append(client)
        return client

    async def reset_department(self, department: str) -> None:
        """Take the agents and waiting conversations of earlier tests out of `department`."""
        await self.store.agents.update_many({"departments": department},
                                            {"$set": {"status": "offline", "disabled": True}})
        await self.store.conversations.update_many({"department": department, "state": "queued"},
                                                   {"$set": {"state": "closed"}})

    async def close_clients(self) -> None:
        for c in self.clients:
            await c.close()
        self.clients.clear()


def store_for(system: System) -> Store:
    settings = load_settings().model_copy(update={"mongo_url": system.mongo_url})
    return connect(settings)


async def start_conversation(user: Client, text: str = "你好", matter: str | None = None) -> str:
    payload = {"client_msg_id": uuid.uuid4().hex, "type": "text", "text": text}
    if matter:
        payload["matter"] = matter
    ack = await user.call("message", payload)
    assert ack["ok"], ack
    return ack["conversation_id"]


async def connect_refusal(base_url: str, namespace: str, token: str | None) -> str | None:
    """None when a Socket.IO connection is accepted (then closed), else the refusal code."""
    client = socketio.AsyncClient(reconnection=False)
    errors: list = []
    client.on("connect_error", lambda data: errors.append(data), namespace=namespace)
    try:
        await client.connect(base_url, namespaces=[namespace], auth={"token": token} if token else None,
                             transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        data = errors[0] if errors and isinstance(errors[0], dict) else {}
        return (data.get("data") or {}).get("code") or "refused"
    await client.disconnect()
    return None


def cmid() -> str:
    return uuid.uuid4().hex

"""The domain services, wired by the composition root, against an in-process secantusdb; no sockets.

Delivery is real but emits into `RecordingSio`, which keeps every event with its rooms.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
import secantus
from pymongo import AsyncMongoClient

from bridge.app import build_context
from bridge.context import AppContext
from bridge.domain.auth import Principal
from core.catalogue import load_catalogue
from core.clock import now
from core.db import Store
from core.settings import load_settings
from core.workcal import HelpStatus
from media.attachments import Attachments

DEPARTMENT = "housing-fund"
MATTER = "housing-fund-withdrawal"


@dataclass
class Emitted:
    event: str
    data: dict[str, Any]
    rooms: list[str]
    namespace: str


class RecordingSio:
    """Stands in for the Socket.IO server: keeps what Delivery emits."""

    def __init__(self) -> None:
        self.emitted: list[Emitted] = []
        # no socket is connected to this process; Delivery emits through the manager (`ObservingManager`'s interface)
        self.manager = SimpleNamespace(rooms={}, emit_together=self._emit_together)

    async def emit(self, event: str, data: dict, room: str | list[str] | None = None, namespace: str = "/",
                   skip_sid: str | None = None) -> None:
        rooms = room if isinstance(room, list) else [room]
        self.emitted.append(Emitted(event, data, rooms, namespace))

    async def _emit_together(self, emits: list[tuple]) -> None:
        for event, data, namespace, room, skip_sid in emits:
            await self.emit(event, data, room=room, namespace=namespace, skip_sid=skip_sid)

    def to(self, room: str, event: str) -> list[dict]:
        """The payloads of `event` sent to `room`, in order."""
        return [e.data for e in self.emitted if e.event == event and room in e.rooms]


class StubBot:
    """Records the bot turns the send path starts (no Rasa)."""

    def __init__(self) -> None:
        self.started: list[tuple[str, int]] = []

    def turn_mark(self) -> dict:
        return {"process": "test", "at": now()}

    def start(self, conv: dict, user_msg: dict) -> None:
        self.started.append((conv["_id"], user_msg["seq"]))


@dataclass
class Desk:
    ctx: AppContext
    sio: RecordingSio
    bot: StubBot
    store: Store

    async def add_agent(self, agent_id: str, departments: list[str] | None = None, capacity: int = 5,
                        active: int = 0, status: str = "online", last_assigned_at=None,
                        role: str = "agent") -> Principal:
        await self.store.agents.insert_one({
            "_id": agent_id, "username": agent_id, "name": f"坐席{agent_id}", "role": role,
            "departments": departments or [DEPARTMENT], "capacity": capacity, "status": status, "active": active,
            "disabled": False, "disconnected_at": None, "last_assigned_at": last_assigned_at})
        return Principal(id=agent_id, role=role, name=f"坐席{agent_id}", departments=tuple(departments or [DEPARTMENT]))


def user(uid: str | None = None) -> Principal:
    return Principal(id=uid or f"u-{uuid.uuid4().hex[:8]}", role="user", name="测试用户", kind="person", channel="app")


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory) -> str:
    server = secantus.SecantusDBServer(storage_path=str(tmp_path_factory.mktemp("domain-db")), port=0)
    server.start()
    yield server.uri + ("&" if "?" in server.uri else "?") + "retryWrites=false"
    server.stop()


@pytest.fixture
async def desk(mongo_uri: str, tmp_path, monkeypatch) -> Desk:
    """Fresh services over a fresh database for one test."""
    client: AsyncMongoClient = AsyncMongoClient(mongo_uri, tz_aware=True)
    store = Store(client=client, db=client[f"d{uuid.uuid4().hex[:12]}"])
    await store.ensure_indexes()
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))  # the token secret file goes there
    monkeypatch.setenv("REDIS_URL", "")  # one process: the conversation cache needs no Redis
    settings = load_settings()
    sio = RecordingSio()
    ctx = build_context(settings, store, load_catalogue(settings.data_dir), sio,  # type: ignore[arg-type]
                        Attachments(store.media))
    bot = StubBot()
    ctx.messaging.bot = bot
    ctx.escalation.hotline_url = "http://127.0.0.1:9/workorders"  # nothing listens: orders stay pending
    ctx.queues.hours = lambda department: HelpStatus(True, now(), None)  # open: no wall-clock dependence
    yield Desk(ctx, sio, bot, store)
    await ctx.escalation.close()
    await client.drop_database(store.db.name)
    await client.close()

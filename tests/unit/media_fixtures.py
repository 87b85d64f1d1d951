"""A Socket.IO + aiohttp server with the media events over a stand-in desk, for media tests."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
import pytest_asyncio
import secantus
import socketio
from aiohttp.test_utils import TestServer
from pymongo import AsyncMongoClient

from tests.unit.media_fakes import signalling_app


@pytest.fixture(scope="module")
def mongo_uri(tmp_path_factory):
    server = secantus.SecantusDBServer(storage_path=str(tmp_path_factory.mktemp("db")), port=0)
    server.start()
    yield server.uri + ("&" if "?" in server.uri else "?") + "retryWrites=false"
    server.stop()


class Recorder:
    """A Socket.IO client that keeps every event it receives."""

    def __init__(self, url: str, namespace: str, token: str) -> None:
        self.url, self.namespace, self.token = url, namespace, token
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list] = defaultdict(list)
        self.arrived = asyncio.Event()

        @self.client.on("*", namespace=namespace)
        async def any_event(event, data=None):
            self.events[event].append(data)
            self.arrived.set()

    async def connect(self) -> Recorder:
        await self.client.connect(
            self.url, namespaces=[self.namespace], auth={"token": self.token}, transports=["websocket"]
        )
        return self

    async def call(self, event: str, data: dict) -> dict:
        return await self.client.call(event, data, namespace=self.namespace, timeout=15)

    async def wait_for(self, event: str, count: int = 1, within: float = 5.0, where=None) -> list:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            got = [d for d in self.events[event] if where is None or where(d)]
            if len(got) >= count:
                return got
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.namespace}: no {event} within {within}s; got {dict(self.events)}"
                )
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                pass


@pytest_asyncio.fixture
async def media_server(mongo_uri):
    """(base_url, fake desk, media hub) of a server whose clients authenticate with token `<id>:<role>`."""
    mongo = AsyncMongoClient(mongo_uri)
    db = mongo["media_signalling"]
    app, desk, media = signalling_app(db, [("c1", "u1", "a1"), ("c2", "u2", "a2")],
                                     max_http_buffer_size=2 * 1024 * 1024)
    server = TestServer(app)
    await server.start_server()
    yield str(server.make_url("")).rstrip("/"), desk, media
    await server.close()
    await mongo.close()

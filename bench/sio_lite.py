"""A light Socket.IO client for load tests: one websocket per connection, one reader task, nothing else.

It speaks the same protocol as python-socketio's `AsyncClient` over the websocket transport (engine.io 4,
Socket.IO 5 text packets: `0` open, `2`/`3` ping/pong, `40`/`44` namespace connect/refusal, `42` event,
`43` ack, `41` disconnect) against the same server, but shares one aiohttp session per process and
handles a packet with one parse and one callback. python-socketio's client keeps a session, a reader,
a writer and a queue per connection and runs every event in a task of its own: with 2,500
connections per process and hundreds of events a second, the benchmark's clients, not the
bridges, were what the 2 cores spent their time on. Binary attachments are not supported (the
benchmark sends none).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
from collections.abc import Callable
from typing import Any

import aiohttp


class RefusedError(ConnectionError):
    """The server refused the namespace connection (`44` packet)."""


class LiteClient:
    """One Socket.IO connection to one namespace; `on` handlers get the event's first argument."""

    def __init__(self, http: aiohttp.ClientSession, url: str, namespace: str) -> None:
        self.http = http
        self.url = url
        self.ns = namespace
        self.handlers: dict[str, Callable[[Any], Any]] = {}
        self._ids = itertools.count(1)
        self._acks: dict[int, asyncio.Future] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task | None = None
        self._prefix = {k: f"4{k}{namespace}," for k in "01234"}
        self._tasks: set[asyncio.Task] = set()

    def on(self, event: str, handler: Callable[[Any], Any]) -> None:
        self.handlers[event] = handler

    async def connect(self, auth: dict, timeout: float = 30) -> None:
        """Open the websocket and the namespace; raise RefusedError or a connection error."""
        ws_url = self.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self._ws = await self.http.ws_connect(ws_url, max_msg_size=0,
                                              timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5))
        async with asyncio.timeout(timeout):
            opened = await self._ws.receive_str()
            if not opened.startswith("0"):
                raise ConnectionError(f"unexpected engine.io open packet {opened[:40]!r}")
            await self._ws.send_str(self._prefix["0"] + json.dumps(auth))
            while True:
                text = await self._ws.receive_str()
                if text.startswith(self._prefix["0"]):
                    break
                if text.startswith(self._prefix["4"]):
                    await self._ws.close()
                    raise RefusedError(text[len(self._prefix["4"]):])
                if text == "2":
                    await self._ws.send_str("3")
        self._reader = asyncio.create_task(self._read())

    async def emit(self, event: str, data: Any, namespace: str | None = None) -> None:
        await self._send(None, event, data)

    async def call(self, event: str, data: Any, namespace: str | None = None, timeout: float = 60) -> Any:
        """Emit with an ack id and wait for the ack's first argument (TimeoutError after `timeout`).

        `namespace` is accepted for python-socketio's signature; the connection's own is used."""
        ack_id = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = fut
        try:
            await self._send(ack_id, event, data)
            async with asyncio.timeout(timeout):
                return await fut
        finally:
            self._acks.pop(ack_id, None)

    async def disconnect(self) -> None:
        if self._ws is not None and not self._ws.closed:
            try:
                await self._ws.send_str(self._prefix["1"])
            finally:
                await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _send(self, ack_id: int | None, event: str, data: Any) -> None:
        if self._ws is None or self._ws.closed:
            raise ConnectionError("not connected")
        body = json.dumps([event, data], ensure_ascii=False, separators=(",", ":"))
        await self._ws.send_str(f"{self._prefix['2']}{'' if ack_id is None else ack_id}{body}")

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for msg in self._ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._packet(msg.data)
        finally:
            for fut in self._acks.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("disconnected"))

    def _packet(self, text: str) -> None:
        if text == "2":
            self._spawn(self._ws.send_str("3"))
            return
        if text.startswith(self._prefix["2"]):
            body = text[len(self._prefix["2"]):]
            args = json.loads(body[body.index("["):])
            handler = self.handlers.get(args[0])
            if handler is not None:
                result = handler(args[1] if len(args) > 1 else None)
                if inspect.isawaitable(result):
                    self._spawn(result)
        elif text.startswith(self._prefix["3"]):
            body = text[len(self._prefix["3"]):]
            cut = body.index("[")
            fut = self._acks.get(int(body[:cut]))
            if fut is not None and not fut.done():
                args = json.loads(body[cut:])
                fut.set_result(args[0] if args else None)
        elif text.startswith(self._prefix["1"]) or text == "1":
            self._spawn(self._ws.close())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


_sessions: dict[int, aiohttp.ClientSession] = {}


async def connect(url: str, namespace: str, auth: dict, handlers: dict[str, Callable[[Any], Any]],
                  timeout: float = 30) -> LiteClient:
    """A connected client; every client of this event loop shares one aiohttp session (no pool limit)."""
    loop_id = id(asyncio.get_running_loop())
    http = _sessions.get(loop_id)
    if http is None or http.closed:
        http = _sessions[loop_id] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    client = LiteClient(http, url, namespace)
    for event, handler in handlers.items():
        client.on(event, handler)
    await client.connect(auth, timeout)
    return client


async def close_sessions() -> None:
    """Close the aiohttp sessions of the clients (at the end of a client process)."""
    while _sessions:
        await _sessions.popitem()[1].close()

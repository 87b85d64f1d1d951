"""The python-socketio behaviour the bridge relies on without a documented hook (see requirements/app.txt).

`bridge/infra/sio_packet.py` passes its own binary check as the packet constructor's `binary`
argument; `bridge/infra/sio_manager.py` observes relayed events in the plain manager's `emit`,
which the pub/sub manager calls for every event it delivers in this process. When one of these
tests fails after an upgrade of python-socketio, adapt those modules and the pinned range.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging

import socketio
from socketio import async_manager, async_pubsub_manager, packet

from bridge.infra.sio_manager import ObservingManager, RedisManager
from bridge.infra.sio_packet import Packet


def _params(func) -> list[str]:
    return list(inspect.signature(func).parameters)


def test_packet_constructor_takes_the_binary_answer(monkeypatch):
    assert _params(packet.Packet.__init__) == ["self", "packet_type", "data", "namespace", "id", "binary",
                                               "encoded_packet"]
    assert _params(Packet.__init__) == _params(packet.Packet.__init__)

    def slow_check(cls, data):
        raise AssertionError("python-socketio's own binary check ran")

    monkeypatch.setattr(packet.Packet, "data_is_binary", classmethod(slow_check))
    assert Packet(packet.EVENT, data=["file", {"blob": b"\x00"}]).packet_type == packet.BINARY_EVENT
    assert Packet(packet.ACK, data=[{"ok": True}], id=3).packet_type == packet.ACK
    decoded = Packet(encoded_packet='2/user,["message",{"seq":1}]')
    assert (decoded.packet_type, decoded.namespace, decoded.data) == (packet.EVENT, "/user", ["message", {"seq": 1}])


def test_server_builds_packets_with_its_serializer_class():
    source = inspect.getsource(async_manager.AsyncManager.emit)
    assert "self.server.packet_class(" in source
    server = socketio.AsyncServer(async_mode="aiohttp", serializer=Packet)
    assert server.packet_class is Packet


def test_observing_manager_sits_under_the_pubsub_manager():
    mro = RedisManager.__mro__
    assert mro.index(async_pubsub_manager.AsyncPubSubManager) < mro.index(ObservingManager) \
        < mro.index(async_manager.AsyncManager)
    assert _params(ObservingManager.emit)[:8] == _params(async_manager.AsyncManager.emit)[:8]
    # the pub/sub manager delivers locally through the plain manager's emit, for relayed and own events
    assert "super().emit(" in inspect.getsource(async_pubsub_manager.AsyncPubSubManager._handle_emit)
    assert "await self._handle_emit(message)" in inspect.getsource(async_pubsub_manager.AsyncPubSubManager.emit)


async def test_relayed_message_events_reach_the_observers():
    manager = RedisManager("redis://127.0.0.1:1/0")  # never connects: nothing is published here
    seen: list[dict] = []
    manager.message_observers.append(seen.append)
    payload = {"conversation_id": "c1", "seq": 7, "text": "你好"}
    relayed = {"method": "emit", "event": "message", "data": [payload], "binary": False, "namespace": "/agent",
               "room": "conv:c1", "skip_sid": None, "callback": None, "host_id": "another-process"}
    await manager._handle_emit(relayed)
    await manager._handle_emit({**relayed, "event": "typing", "data": [{"conversation_id": "c1"}]})
    assert seen == [payload]


def test_the_pubsub_manager_publishes_through_the_overridden_publish():
    source = inspect.getsource(async_pubsub_manager.AsyncPubSubManager.emit)
    assert "await self._publish(message)" in source
    assert _params(RedisManager._publish) == _params(socketio.AsyncRedisManager._publish)
    # the attributes the group publish uses, as python-socketio's own `_publish` uses them
    own = inspect.getsource(socketio.AsyncRedisManager._publish)
    for name in ("self.connected", "self._redis_connect()", "self.redis.publish(", "self.channel", "self.json.dumps("):
        assert name in own


class _Pipeline:
    def __init__(self, sent: list, fail: list) -> None:
        self.sent, self.fail, self.items = sent, fail, []

    def publish(self, channel: str, text: str) -> None:
        self.items.append(text)

    async def execute(self) -> None:
        await asyncio.sleep(0.01)  # a round trip: the events emitted meanwhile wait for the next batch
        if self.fail:
            self.fail.pop()
            raise ConnectionError("redis went away")
        self.sent.append(self.items)


async def test_concurrent_publishes_go_out_in_order_in_few_batches():
    manager = RedisManager("redis://127.0.0.1:1/0")
    sent: list[list[str]] = []
    manager.connected = True
    manager.redis = type("R", (), {"pipeline": lambda self, transaction: _Pipeline(sent, [])})()
    await asyncio.gather(*(manager._publish({"n": i}) for i in range(300)))
    assert [json.loads(t)["n"] for batch in sent for t in batch] == list(range(300))
    assert len(sent) <= 3 < 300


async def test_a_failed_batch_is_sent_again_after_reconnecting():
    manager = RedisManager("redis://127.0.0.1:1/0")
    sent: list[list[str]] = []
    fail = [1]
    reconnects = []
    manager.connected = True
    manager.redis = type("R", (), {"pipeline": lambda self, transaction: _Pipeline(sent, fail)})()
    manager._redis_connect = lambda: (reconnects.append(1), setattr(manager, "connected", True))
    await manager._publish({"n": 1})
    assert reconnects == [1] and [json.loads(t) for t in sent[0]] == [{"n": 1}]


def test_the_listener_hands_other_processes_emits_to_the_overridden_handler():
    source = inspect.getsource(async_pubsub_manager.AsyncPubSubManager._thread)
    assert "data.get('host_id') != self.host_id" in source and "await self._handle_emit(data)" in source


def _wired(manager: RedisManager, sent: list[list[str]]) -> RedisManager:
    manager.connected = True
    manager.redis = type("R", (), {"pipeline": lambda self, transaction: _Pipeline(sent, [])})()
    return manager


async def _listen_to(manager: RedisManager, published: list, monkeypatch) -> list[dict]:
    """Run `manager`'s pub/sub listener over `published` (what Redis would hand it); the emits it handled."""
    async def channel(self):
        for text in published:
            yield text.encode() if isinstance(text, str) else text

    monkeypatch.setattr(socketio.AsyncRedisManager, "_listen", channel)
    handled: list[dict] = []

    async def handle(message: dict) -> None:
        handled.append(message)
    manager._handle_emit = handle  # type: ignore[method-assign]
    manager.server = type("S", (), {"logger": logging.getLogger("test")})()
    await manager._thread()  # returns when the channel ends ("listen() exited unexpectedly")
    return handled


def test_the_listener_reads_the_channel_through_the_overridden_listen():
    source = inspect.getsource(async_pubsub_manager.AsyncPubSubManager._thread)
    assert "async for message in self._listen()" in source and "self.json.loads(message)" in source
    assert inspect.isasyncgenfunction(socketio.AsyncRedisManager._listen)
    assert _params(RedisManager._listen) == _params(socketio.AsyncRedisManager._listen) == ["self"]


async def test_emits_together_are_delivered_here_and_published_as_one_message(monkeypatch):
    a, b = _wired(RedisManager("redis://127.0.0.1:1/0"), sent := []), RedisManager("redis://127.0.0.1:1/0")
    here: list[dict] = []
    a.message_observers.append(here.append)
    payload = {"conversation_id": "c1", "seq": 3, "text": "您好"}
    await a.emit_together([("message", payload, "/user", "u:u1", "sid-1"),
                           ("message", payload, "/agent", ["w:c1", "a:s1"], "sid-1")])
    assert here == [payload, payload]  # both namespaces of this process
    assert len(sent) == 1 and len(sent[0]) == 1  # one publish
    b.rooms = {"/agent": {"a:s1": {"sid-9": "eio-9"}}}  # b holds the agent's socket
    handled = await _listen_to(b, sent[0], monkeypatch)
    assert len(handled) == 1 and handled[0]["host_id"] == a.host_id
    assert [m["namespace"] for m in handled[0]["together"]] == ["/user", "/agent"]
    there: list[dict] = []
    b.message_observers.append(there.append)
    b.rooms = {}  # (no socket to write to in this test)
    await RedisManager._handle_emit(b, handled[0])  # what b's listener does with it
    assert there == [payload, payload]


async def test_a_process_decodes_no_publish_of_its_own_nor_one_for_rooms_it_does_not_hold(monkeypatch):
    a = _wired(RedisManager("redis://127.0.0.1:1/0"), sent := [])
    b = RedisManager("redis://127.0.0.1:1/0")
    b.rooms = {"/user": {"u:other": {"sid-2": "eio-2"}}, "/agent": {"a:s2": {"sid-3": "eio-3"}}}
    seen: list[dict] = []
    b.message_observers.append(seen.append)
    payload = {"conversation_id": "c1", "seq": 4, "text": "您好"}
    await a.emit_together([("message", payload, "/user", "u:u1", None),
                           ("message", payload, "/agent", ["w:c1", "a:s1"], None)])
    await a.emit_together([("typing", {"conversation_id": "c1", "on": True}, "/user", "u:u1", None),
                           ("typing", {"conversation_id": "c1", "on": True}, "/agent", ["w:c1", "a:s1"], None)])
    decoded: list = []
    monkeypatch.setattr(b, "json", type("J", (), {"loads": lambda _, t: decoded.append(t) or json.loads(t)})())
    assert await _listen_to(b, [x for batch in sent for x in batch], monkeypatch) == [] and decoded == []
    assert seen == [{"conversation_id": "c1", "seq": 4}]  # the seq is still learned, from the header
    assert b.relayed_dropped == 2
    a.rooms = {"/user": {"u:u1": {"sid-1": "eio-1"}}}  # it holds the citizen: still nothing to decode
    a_seen = await _listen_to(a, [x for batch in sent for x in batch], monkeypatch)  # its own come back to it
    assert a_seen == [] and a.relayed_dropped == 2
    # a plain publish (python-socketio's own format) is decoded as before; an unreadable header is dropped
    # without ending the listener
    plain = json.dumps({"method": "emit", "event": "state", "data": [{}], "namespace": "/user", "room": None,
                        "host_id": "x"})
    assert [m["event"] for m in await _listen_to(b, ["#{not json\n{}", plain], monkeypatch)] == ["state"]


async def test_binary_payloads_are_not_emitted_together():
    manager = RedisManager("redis://127.0.0.1:1/0")
    published: list[dict] = []

    async def publish(data):
        published.append(data)
    manager._publish = publish  # type: ignore[method-assign]
    await manager.emit_together([("file", {"blob": b"\x00"}, "/user", "u:u1", None),
                                 ("file", {"blob": b"\x00"}, "/agent", ["w:c1"], None)])
    assert len(published) == 2 and all("together" not in p and p["binary"] for p in published)


async def test_a_relayed_emit_is_timed_from_its_publish_to_its_receipt(monkeypatch):
    from bridge.infra.metrics import RELAY
    from bridge.infra.sio_relay import Addressed, address

    emits = [("message", {"conversation_id": "c1", "seq": 5}, "/agent", ["a:s1"], None)]
    header = address("host-a", emits, at=1000.0)
    assert Addressed.parse(header + "{}").published_at == 1000.0
    old = "#" + json.dumps({"h": "host-a", "r": [["/agent", ["a:s1"]]], "m": None}) + "\n{}"
    assert Addressed.parse(old).published_at is None  # a publisher of before the clock was sent
    b = RedisManager("redis://127.0.0.1:1/0")
    b.rooms = {"/agent": {"a:s1": {"sid-9": "eio-9"}}}

    def count() -> float:
        return sum(s.value for m in RELAY.collect() for s in m.samples if s.name.endswith("_count"))

    def within(le: str) -> float:
        return sum(s.value for m in RELAY.collect() for s in m.samples
                   if s.name.endswith("_bucket") and s.labels["le"] == le)

    before, within_05, within_02 = count(), within("0.5"), within("0.2")
    monkeypatch.setattr("time.time", lambda: 1000.25)
    await _listen_to(b, [address("host-a", emits, at=1000.0) + json.dumps({"method": "emit", "together": []})],
                     monkeypatch)
    assert count() == before + 1  # 250 ms: in the 0.5 s bucket, not the 0.2 s one
    assert within("0.5") == within_05 + 1 and within("0.2") == within_02

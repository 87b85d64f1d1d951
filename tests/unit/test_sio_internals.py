"""The python-socketio behaviour the bridge relies on without a documented hook (see requirements/app.txt).

`bridge/infra/sio_packet.py` passes its own binary check as the packet constructor's `binary`
argument; `bridge/infra/sio_manager.py` observes relayed events in the plain manager's `emit`,
which the pub/sub manager calls for every event it delivers in this process. When one of these
tests fails after an upgrade of python-socketio, adapt those modules and the pinned range.
"""

from __future__ import annotations

import inspect

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

"""The bridge's Socket.IO packet class finds binary data exactly where python-socketio's does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from socketio import packet

from bridge.infra.sio_packet import Packet, has_binary

leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                 st.binary(max_size=3))
payloads = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=3), inner, max_size=4)),
                        max_leaves=20)


@given(payloads)
def test_binary_check_agrees_with_python_socketio(data):
    assert has_binary(data) == packet.Packet.data_is_binary(data)
    assert Packet(packet.EVENT, data=data).packet_type == packet.Packet(packet.EVENT, data=data).packet_type


def test_encoded_packets_are_unchanged():
    data = ["message", {"conversation_id": "c1", "seq": 3, "sender": {"role": "user"}, "text": "你好", "meta": {}}]
    ours = Packet(packet.EVENT, namespace="/user", data=data, id=7).encode()
    theirs = packet.Packet(packet.EVENT, namespace="/user", data=data, id=7).encode()
    assert ours == theirs
    attachment = Packet(packet.EVENT, namespace="/user", data=["file", {"blob": b"\x00\x01"}]).encode()
    assert isinstance(attachment, list) and attachment[1] == b"\x00\x01"  # sent as a binary attachment

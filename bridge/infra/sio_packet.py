"""The Socket.IO packet class of the bridge: python-socketio's, with a cheaper binary check.

python-socketio looks for binary attachments in every packet it builds by recursing through
the payload with `functools.reduce` over a list of every item; under load that was a tenth
of the bridge's time. `has_binary` walks the payload once and stops at the first binary item;
the packet passes its answer as the constructor's `binary` argument, so python-socketio's own
check never runs. The wire format is unchanged. The class is given to the server through its
public `serializer` parameter; the constructor's `binary` argument is not documented, so the
version range is pinned in requirements/app.txt and tests/unit/test_sio_internals.py fails when
it changes.
"""

from __future__ import annotations

from typing import Any

from socketio import packet

_CONTAINERS = (dict, list, bytes, bytearray)


def has_binary(data: Any) -> bool:
    """Whether `data` holds bytes anywhere inside (dicts and lists)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (bytes, bytearray)):
            return True
        if isinstance(item, dict):
            stack.extend(v for v in item.values() if isinstance(v, _CONTAINERS))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, _CONTAINERS))
    return False


class Packet(packet.Packet):
    """python-socketio's packet, its binary check done by `has_binary`."""

    def __init__(self, packet_type: int = packet.EVENT, data: Any = None, namespace: str | None = None,
                 id: int | None = None, binary: bool | None = None, encoded_packet: Any = None) -> None:  # noqa: A002
        if binary is None:
            binary = has_binary(data)
        super().__init__(packet_type, data=data, namespace=namespace, id=id, binary=binary,
                         encoded_packet=encoded_packet)

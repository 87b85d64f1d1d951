"""The header of a relayed emit: who published it and whom it is for, readable without decoding the body.

Published text: `#` + JSON header + newline + JSON body (a JSON text never contains a raw newline, and a
body never starts with `#`). The header: `h` the publisher's host id, `r` the rooms per namespace
(`[[namespace, [room, ...] or null], ...]`, null meaning every socket of the namespace), `m` the
conversation and seq of a `message` event (`[conversation_id, seq]`), else null; `t` the publisher's clock
(seconds since the epoch) when it published, for `bangban_relay_seconds`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

ADDRESSED = "#"


def address(host_id: str, emits: list[tuple[str, Any, str, Any, Any]], at: float | None = None) -> str:
    """The header (with its `#` and newline) of a publish of `emits` (event, data, namespace, room(s), skip_sid)
    made at `at` (now by default)."""
    rooms = [[ns, None if room is None else ([room] if isinstance(room, str) else list(room))]
             for _, _, ns, room, _ in emits]
    message = next(([d["conversation_id"], d["seq"]] for event, d, *_ in emits
                    if event == "message" and isinstance(d, dict) and "seq" in d and "conversation_id" in d), None)
    at = time.time() if at is None else at
    return ADDRESSED + json.dumps({"h": host_id, "r": rooms, "m": message, "t": round(at, 4)}, ensure_ascii=False,
                                  separators=(",", ":")) + "\n"


@dataclass
class Addressed:
    host_id: str
    rooms: list[tuple[str, list[str] | None]]
    message: dict[str, Any] | None  # {conversation_id, seq} of a `message` event
    body: bytes | str
    published_at: float | None = None  # the publisher's clock (older publishers sent none)

    @classmethod
    def parse(cls, text: bytes | str) -> Addressed:
        newline = b"\n" if isinstance(text, bytes) else "\n"
        head, _, body = text.partition(newline)  # type: ignore[arg-type]
        h = json.loads(head[1:])
        m = h.get("m")
        t = h.get("t")
        return cls(h.get("h", ""), [(ns, rooms) for ns, rooms in h.get("r") or []],
                   {"conversation_id": m[0], "seq": m[1]} if m else None, body,
                   float(t) if isinstance(t, (int, float)) else None)

    def reaches(self, rooms: dict[str, dict[Any, Any]]) -> bool:
        """Whether a room it is for has a socket in `rooms` (a manager's: namespace → room → sids)."""
        for ns, names in self.rooms:
            here = rooms.get(ns)
            if not here:
                continue
            if names is None or any(here.get(name) for name in names):
                return True
        return False

"""Server side of a call: one aiortc peer per participant, MediaRelay between them, a recorder.

Each browser offers to the server (its own RTCPeerConnection); the server answers, relays what it
receives from one participant to the other through `MediaRelay`, and records both sides.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from core.settings import get_settings
from media.recorder import CallRecorder, RecordingResult

log = logging.getLogger(__name__)
ROLES = ("user", "agent")


def other(role: str) -> str:
    return "agent" if role == "user" else "user"


PINNED: list[str] | None = None


def pin_host_addresses(addresses: list[str] | None = None) -> list[str] | None:
    """Pin the server's ICE host candidates to `addresses` (default: `MEDIA_ICE_HOST_ADDRESSES`,
    a comma list) and ignore remote candidates elsewhere; None leaves aioice's own choice."""
    global PINNED
    if addresses is None:
        addresses = list(get_settings().media.ice_host_addresses) or None
    if addresses:
        import aioice.ice

        pinned = list(addresses)
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(pinned)
    PINNED = addresses
    return addresses


pin_host_addresses()
_CANDIDATE_LINE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+ .*$")


def keep_candidates(sdp: str, addresses: list[str] | None) -> str:
    """Drop remote candidates outside `addresses` (used with pinned loopback addresses)."""
    if not addresses:
        return sdp
    lines = []
    for line in sdp.splitlines():
        match = _CANDIDATE_LINE.match(line)
        if match and match.group(1) not in addresses:
            continue
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


class ProxyTrack(MediaStreamTrack):
    """What the server sends to one participant: the other's track once it exists."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._source: MediaStreamTrack | None = None
        self._ready = asyncio.Event()

    def set_source(self, track: MediaStreamTrack) -> None:
        self._source = track
        self._ready.set()

    def stop(self) -> None:
        super().stop()
        self._ready.set()

    async def recv(self):
        await self._ready.wait()
        if self.readyState != "live" or self._source is None:
            raise MediaStreamError
        return await self._source.recv()


class CallMedia:
    """The media plane of one call."""

    def __init__(
        self,
        call_id: str,
        kind: str,
        ice_servers: list[dict],
        *,
        record: bool = True,
        on_state: Callable[[str, str], Awaitable[None]] | None = None,
        tmp_dir: str | None = None,
    ) -> None:
        self.call_id = call_id
        self.kind = kind  # audio | video
        self.kinds = ("audio", "video") if kind == "video" else ("audio",)
        self.config = RTCConfiguration(iceServers=[RTCIceServer(**s) for s in ice_servers])
        self.relay = MediaRelay()
        self.peers: dict[str, RTCPeerConnection] = {}
        self.outgoing = {role: {k: ProxyTrack(k) for k in self.kinds} for role in ROLES}
        self.on_state = on_state
        self.first_media_at: float | None = None
        self.connected: dict[str, bool] = {role: False for role in ROLES}
        self.recorder: CallRecorder | None = None
        if record:
            fd, path = tempfile.mkstemp(prefix=f"call-{call_id}-", suffix=".mp4", dir=tmp_dir)
            os.close(fd)
            labels = {f"{role}_{k}": k for role in ROLES for k in self.kinds}
            self.recorder = CallRecorder(path, labels)

    async def answer(self, role: str, sdp: str, sdp_type: str = "offer") -> dict[str, str]:
        """Accept a participant's offer; returns the server's answer (all candidates included)."""
        old = self.peers.pop(role, None)
        if old is not None:
            await old.close()
        pc = RTCPeerConnection(self.config)
        self.peers[role] = pc

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind not in self.kinds:
                return
            if self.first_media_at is None:
                self.first_media_at = time.monotonic()
            self.outgoing[other(role)][track.kind].set_source(self.relay.subscribe(track))
            if self.recorder is not None:
                self.recorder.add_track(f"{role}_{track.kind}", self.relay.subscribe(track, buffered=False))

        @pc.on("connectionstatechange")
        async def on_connection_state() -> None:
            state = pc.connectionState
            self.connected[role] = state == "connected"
            if self.on_state is not None:
                await self.on_state(role, state)

        await pc.setRemoteDescription(RTCSessionDescription(sdp=keep_candidates(sdp, PINNED), type=sdp_type))
        for kind in self.kinds:
            pc.addTrack(self.outgoing[role][kind])
        await pc.setLocalDescription(await pc.createAnswer())
        return {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}

    async def add_ice(self, role: str, candidate: dict[str, Any]) -> None:
        """A trickled candidate from the browser (`RTCIceCandidate.toJSON()`)."""
        pc = self.peers.get(role)
        text = candidate.get("candidate") if isinstance(candidate, dict) else None
        if pc is None or not text:
            return
        parsed = candidate_from_sdp(text.split(":", 1)[1] if text.startswith("candidate:") else text)
        if PINNED and parsed.ip not in PINNED:
            return
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        await pc.addIceCandidate(parsed)

    async def close(self) -> RecordingResult | None:
        """Hang up both peers and finish the recording (None when not recording)."""
        for tracks in self.outgoing.values():
            for track in tracks.values():
                track.stop()
        await asyncio.gather(*(pc.close() for pc in self.peers.values()), return_exceptions=True)
        self.peers.clear()
        if self.recorder is None:
            return None
        recorder, self.recorder = self.recorder, None
        return await recorder.stop()

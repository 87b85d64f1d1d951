"""A call participant for tests: an aiortc peer connection driven over the bridge's signalling."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack


class CallPeer:
    """One side of a call (any client with `call(event, data)`), counting the frames it receives."""

    def __init__(self, sock: Any, video: bool = False) -> None:
        self.sock = sock
        self.video = video
        self.pc = RTCPeerConnection()
        self.frames = {"audio": 0, "video": 0}
        self.tasks: list[asyncio.Task] = []

        @self.pc.on("track")
        def on_track(track) -> None:
            self.tasks.append(asyncio.ensure_future(self._count(track)))

    async def _count(self, track) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.frames[track.kind] += 1

    async def connect(self, call_id: str) -> None:
        """Offer to the call's server side and apply its answer."""
        self.pc.addTrack(AudioStreamTrack())
        if self.video:
            self.pc.addTrack(VideoStreamTrack())
        await self.pc.setLocalDescription(await self.pc.createOffer())
        ack = await self.sock.call("call_offer", {"call_id": call_id, "sdp": self.pc.localDescription.sdp,
                                                  "type": "offer"})
        assert ack["ok"] and ack["type"] == "answer", ack
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=ack["sdp"], type="answer"))

    def candidate(self) -> dict:
        """One of this side's ICE candidates, as a client would trickle it."""
        line = next(ln for ln in self.pc.localDescription.sdp.splitlines() if ln.startswith("a=candidate:"))
        return {"candidate": line[2:], "sdpMid": "0", "sdpMLineIndex": 0}

    async def close(self) -> None:
        await self.pc.close()
        for task in self.tasks:
            task.cancel()

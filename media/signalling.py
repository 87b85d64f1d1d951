"""Entry point for the bridge: register the co-browse and call events on its Socket.IO server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio

from core.settings import get_settings
from media.call_hub import Calls
from media.cobrowse_hub import Cobrowse
from media.hub import Hub
from media.port import DeskPort
from media.scaleout import ScaleOut


class MediaHub:
    """What `register` installs; the bridge keeps it to start and stop it and to end sessions of
    conversations that close."""

    def __init__(self, sio: socketio.AsyncServer, desk: DeskPort, *, redis_url: str = "",
                 media_factory: Callable | None = None) -> None:
        self.hub = Hub(sio, desk)
        self.redis_url = redis_url
        self.cobrowse = Cobrowse(self.hub)
        self.calls = Calls(self.hub, media_factory=media_factory)
        self.scale: Any = None  # media.scaleout.ScaleOut with several bridge processes

    async def start(self) -> None:
        """With Redis configured (several bridge processes) share sessions with the other processes;
        with one process there is nothing to start."""
        if not self.redis_url:
            return
        self.scale = ScaleOut(self, self.redis_url, self.hub.desk, get_settings().media.media_forward_timeout_s)
        await self.scale.start()

    async def close(self) -> None:
        if self.scale is not None:
            await self.scale.close()
            self.scale = None

    async def end_local(self, conversation_id: str, reason: str) -> None:
        """End this process's co-browse session and call of a conversation."""
        await self.cobrowse.end_for_conversation(conversation_id, reason)
        await self.calls.end_for_conversation(conversation_id, reason)

    async def conversation_ended(self, conversation_id: str, reason: str = "conversation_closed") -> None:
        """Stop co-browse and hang up calls of a conversation that closed, moved or was handed back."""
        await self.end_local(conversation_id, reason)
        if self.scale is not None:
            await self.scale.end_elsewhere(conversation_id, reason)


def register(sio: socketio.AsyncServer, desk: DeskPort, *, redis_url: str = "",
             media_factory: Callable | None = None) -> MediaHub:
    """Add the co-browse and call events on namespaces /user and /agent; returns the hub
    (`redis_url` set: several bridge processes share the sessions once it starts)."""
    media = MediaHub(sio, desk, redis_url=redis_url, media_factory=media_factory)
    media.cobrowse.register()
    media.calls.register()
    return media

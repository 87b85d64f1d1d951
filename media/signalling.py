"""Entry point for the bridge: register the co-browse and call events on its Socket.IO server."""

from __future__ import annotations

from typing import Any

import socketio

from media.call_hub import Calls
from media.cobrowse_hub import Cobrowse
from media.hub import Hub

MEDIA_KEY = "media"


class MediaHub:
    """What `register` installs; the bridge keeps it to start and stop it and to end sessions of
    conversations that close."""

    def __init__(self, sio: socketio.AsyncServer, ctx: Any, media_factory=None) -> None:
        self.hub = Hub(sio, ctx)
        self.cobrowse = Cobrowse(self.hub)
        self.calls = Calls(self.hub, media_factory=media_factory)
        self.scale: Any = None  # media.scaleout.ScaleOut with several bridge processes

    async def start(self) -> None:
        """With Redis configured (several bridge processes) share sessions with the other processes;
        with one process there is nothing to start."""
        ctx = self.hub.ctx
        redis_url = getattr(getattr(ctx, "settings", None), "redis_url", "")
        if not redis_url:
            return
        from core.settings import get_settings
        from media.scaleout import ScaleOut

        self.scale = ScaleOut(self, redis_url, ctx.presence, ctx.store.media_sessions,
                              get_settings().media.media_forward_timeout_s)
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


def register(sio: socketio.AsyncServer, ctx: Any, media_factory=None) -> MediaHub:
    """Add the co-browse and call events on namespaces /user and /agent; returns the hub."""
    media = MediaHub(sio, ctx, media_factory=media_factory)
    media.cobrowse.register()
    media.calls.register()
    try:
        setattr(ctx, MEDIA_KEY, media)
    except (AttributeError, TypeError):
        pass
    return media

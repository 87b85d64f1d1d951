"""Entry point for the bridge: register the co-browse and call events on its Socket.IO server."""

from __future__ import annotations

from typing import Any

import socketio

from media.call_hub import Calls
from media.cobrowse_hub import Cobrowse
from media.hub import Hub

MEDIA_KEY = "media"


class MediaHub:
    """What `register` installs; the bridge may keep it to end sessions when a conversation closes."""

    def __init__(self, sio: socketio.AsyncServer, ctx: Any, media_factory=None) -> None:
        self.hub = Hub(sio, ctx)
        self.cobrowse = Cobrowse(self.hub)
        self.calls = Calls(self.hub, media_factory=media_factory)

    async def conversation_ended(self, conversation_id: str, reason: str = "conversation_closed") -> None:
        """Stop co-browse and hang up calls of a conversation that closed, moved or was handed back."""
        await self.cobrowse.end_for_conversation(conversation_id, reason)
        await self.calls.end_for_conversation(conversation_id, reason)


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

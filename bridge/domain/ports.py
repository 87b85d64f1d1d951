"""What the domain needs from outside the desk, declared as typed interfaces.

The composition root (`bridge/app.py`) provides the implementations.
"""

from __future__ import annotations

from typing import Any, Protocol


class Attachments(Protocol):
    """The stored media a message refers to (implemented by `media.attachments.Attachments`)."""

    async def describe(self, conversation_id: str, media_id: str, type_: str) -> dict[str, Any]:
        """The wire description of `media_id` for a message of type `type_` in the conversation.

        Raises ApiError 404 when the media is unknown or belongs to another conversation,
        400 when its type differs from the message's.
        """
        ...


class BotTurns(Protocol):
    """The bot's side of a user message (implemented by `bridge.domain.bot_turns.Bot`)."""

    def turn_mark(self) -> dict[str, Any]:
        """The pending-turn mark ({process, at}) stored with a user message the bot will answer."""
        ...

    def start(self, conv: dict, user_msg: dict) -> None:
        """Answer `user_msg` in the background."""
        ...


class VideoCards(Protocol):
    """Answer cards of video guides (implemented by `media.video_cards.VideoCards`)."""

    async def card(self, video_id: str, title: str = "") -> dict[str, Any] | None:
        """The card of a ready video guide (signed `src`, `poster`, `captions`), None when not ready or unknown."""
        ...

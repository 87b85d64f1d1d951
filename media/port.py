"""What media needs from the help desk, as one typed port (the bridge implements it once).

Media never reaches into the desk otherwise: it learns who is calling, whether that principal may use
a conversation, writes the conversation's timeline and sends events to its people only through
`DeskPort`. The database handles are media's own collections, handed over by the composition root.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from aiohttp import web
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

Role = Literal["user", "agent"]
BOTH: tuple[Role, ...] = ("user", "agent")


class Principal(Protocol):
    """Who is calling (a portal user or a staff member), as media sees it."""

    @property
    def id(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class Participants:
    """The people of a conversation an event goes to: the user (all devices) and its agent."""

    conversation_id: str
    user_id: str
    agent_id: str | None


@dataclass(frozen=True)
class Conversation:
    """What media needs to know of a conversation."""

    id: str
    state: str
    user_id: str
    agent_id: str | None = None
    agent_name: str = ""

    @property
    def participants(self) -> Participants:
        return Participants(self.id, self.user_id, self.agent_id)


@dataclass(frozen=True)
class MediaCollections:
    """The storage media owns: its database (GridFS bucket), metadata, co-browse audit, session owners."""

    db: AsyncDatabase
    media: AsyncCollection
    cobrowse_events: AsyncCollection
    media_sessions: AsyncCollection


class DeskPort(Protocol):
    """The help desk, as media uses it."""

    @property
    def collections(self) -> MediaCollections:
        """Media's own database handles."""
        ...

    @property
    def process_id(self) -> str:
        """This bridge process (owner of the calls and co-browse sessions it holds)."""
        ...

    @property
    def process_dead_s(self) -> float:
        """After how long without a heartbeat a bridge process counts as dead."""
        ...

    async def live_process_ids(self) -> set[str]:
        """The bridge processes that are alive now."""
        ...

    async def socket_principal(self, sid: str, namespace: str) -> Principal | None:
        """The principal of a connected socket, None when it is gone or never authenticated."""
        ...

    async def request_principal(self, request: web.Request) -> Principal:
        """The principal of an HTTP request; raises `core.errors.ApiError` 401 without a valid token."""
        ...

    async def conversation(self, principal: Principal, conversation_id: str) -> Conversation | None:
        """The conversation when `principal` may use it (participant, or staff entitled to it), else None."""
        ...

    async def post_timeline(self, conversation_id: str, event: str, by: dict[str, Any],
                            detail: dict[str, Any]) -> None:
        """Add an entry to the conversation's timeline."""
        ...

    async def may_upload_own(self, principal: Principal) -> bool:
        """Whether `principal` may store files of their own, without a conversation (ledger photos)."""
        ...

    async def may_read_own(self, principal: Principal, owner_id: str, media_id: str) -> bool:
        """Whether `principal` may read `owner_id`'s own file `media_id` (its owner, or a record citing it)."""
        ...

    async def deliver(self, to: Participants, event: str, data: dict[str, Any],
                      roles: Collection[Role] = BOTH) -> None:
        """Send `event` to the conversation's user devices and/or its agent, on every bridge process.

        Not to supervisors watching it: the panes would take a call or co-browse session for their own.
        """
        ...

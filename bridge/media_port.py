"""The bridge's one implementation of media's port (`media.port.DeskPort`) over its own services."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bridge.context import Sessions
from bridge.domain.auth import OFFLINE_ROLES, Principal, TokenService
from bridge.domain.conversations import Conversations, can_access
from bridge.domain.offline_help import OfflineHelp
from bridge.domain.presence import Presence
from bridge.domain.staff_sessions import StaffDirectory
from bridge.domain.timeline import Timeline
from bridge.infra.delivery import Delivery
from media.port import BOTH, Conversation, MediaCollections, Participants, Role


@dataclass(frozen=True)
class MediaDesk:
    """What media may use of the desk: sockets' and requests' principals, conversations it may touch,
    the timeline, delivery to a conversation's people, presence of the bridge processes."""

    sessions: Sessions
    tokens: TokenService
    staff: StaffDirectory
    conversations: Conversations
    timeline: Timeline
    delivery: Delivery
    presence: Presence
    collections: MediaCollections
    offline_help: OfflineHelp | None = None  # who else may see offline helpers' photos (None: their uploaders)

    @property
    def process_id(self) -> str:
        return self.presence.process_id

    @property
    def process_dead_s(self) -> float:
        return self.presence.dead_after_s

    async def live_process_ids(self) -> set[str]:
        return await self.presence.live_process_ids()

    async def socket_principal(self, sid: str, namespace: str) -> Principal | None:
        return await self.sessions.principal(sid, namespace)

    async def request_principal(self, request: web.Request) -> Principal:
        """The caller; staff role and departments as the database has them now (disabled: refused)."""
        return await self.staff.caller(self.tokens.from_request(request))

    async def conversation(self, principal: Principal, conversation_id: str) -> Conversation | None:
        conv = await self.conversations.get(conversation_id)
        if not can_access(principal, conv):
            return None
        agent = conv.get("agent") or {}
        return Conversation(id=conv["_id"], state=conv["state"], user_id=conv["user"]["id"],
                            agent_id=agent.get("id"), agent_name=agent.get("name", ""))

    async def post_timeline(self, conversation_id: str, event: str, by: dict[str, Any],
                            detail: dict[str, Any]) -> None:
        await self.timeline.add(conversation_id, event, by, detail)

    async def may_upload_own(self, principal: Principal) -> bool:
        """Offline helpers keep photos of the problems they log."""
        return principal.role in OFFLINE_ROLES

    async def may_read_own(self, principal: Principal, owner_id: str, media_id: str) -> bool:
        """Its uploader, or a ledger reader whose scope holds an entry citing the photo."""
        if principal.id == owner_id:
            return True
        return self.offline_help is not None and await self.offline_help.may_see_photo(principal, media_id)

    async def deliver(self, to: Participants, event: str, data: dict[str, Any],
                      roles: Collection[Role] = BOTH) -> None:
        if "user" in roles:
            await self.delivery.to_user(to.user_id, event, data)
        if "agent" in roles and to.agent_id:
            await self.delivery.to_staff(to.agent_id, event, data)

"""The services of one bridge process, wired together once at startup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import socketio

from bridge.domain.assignment import Assignment
from bridge.domain.auth import Principal, TokenService
from bridge.domain.banned import BannedPhrases
from bridge.domain.bot_turns import Bot
from bridge.domain.conversations import Conversations, can_access
from bridge.domain.escalation import Escalation
from bridge.domain.kb_loop import KbLoop
from bridge.domain.lifecycle import Lifecycle
from bridge.domain.presence import Presence
from bridge.domain.queues import Queues
from bridge.domain.timeline import Timeline
from bridge.domain.unanswered import Unanswered
from bridge.infra.conv_cache import ConversationCache
from bridge.infra.delivery import Delivery
from bridge.infra.message_store import MessageStore
from bridge.infra.rasa_client import RasaClient
from core.catalogue import Catalogue
from core.db import Store
from core.ratelimit import RateLimiter
from core.settings import Settings


class Access:
    """Who may touch which conversation (used by the HTTP API and media)."""

    def __init__(self, conversations: Conversations) -> None:
        self.conversations = conversations

    async def can_access(self, principal: Principal, conversation_id: str) -> bool:
        return can_access(principal, await self.conversations.get(conversation_id))


class Sessions:
    """The principal behind a connected socket."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def principal(self, sid: str, namespace: str) -> Principal | None:
        try:
            session = await self.sio.get_session(sid, namespace=namespace)
        except KeyError:
            return None
        return session.get("principal")


@dataclass
class Context:
    settings: Settings
    store: Store
    catalogue: Catalogue
    sio: socketio.AsyncServer
    tokens: TokenService
    delivery: Delivery
    timeline: Timeline
    messages: MessageStore
    conversations: Conversations
    queues: Queues
    assignment: Assignment
    lifecycle: Lifecycle
    rasa: RasaClient
    bot: Bot
    escalation: Escalation
    unanswered: Unanswered
    banned: BannedPhrases
    presence: Presence
    limiter: RateLimiter
    access: Access
    sessions: Sessions
    kb_loop: KbLoop
    attachments: Any = None  # media.attachments.Attachments, set by the composition root

    @property
    def auth(self) -> Context:
        return self

    async def principal_from_request(self, request) -> Principal:
        return self.tokens.from_request(request)


def build_context(settings: Settings, store: Store, catalogue: Catalogue, sio: socketio.AsyncServer) -> Context:
    delivery = Delivery(sio)
    timeline = Timeline(store)
    messages = MessageStore(store)
    conversations = Conversations(store, messages, timeline, delivery, ConversationCache(settings.redis_url))
    queues = Queues(store, conversations, delivery)
    assignment = Assignment(store, conversations, messages, queues, delivery)
    lifecycle = Lifecycle(conversations, messages, queues, assignment, catalogue)
    rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_s, settings.rasa_token)
    unanswered = Unanswered(store, catalogue)
    presence = Presence(store, settings.process_dead_s)
    return Context(
        settings=settings, store=store, catalogue=catalogue, sio=sio,
        tokens=TokenService(settings), delivery=delivery, timeline=timeline, messages=messages,
        conversations=conversations, queues=queues, assignment=assignment, lifecycle=lifecycle,
        rasa=rasa, bot=Bot(rasa, conversations, messages, lifecycle, unanswered, presence.process_id),
        escalation=Escalation(store, settings.hotline_url, settings.hotline_secret, settings.public_url),
        unanswered=unanswered,
        banned=BannedPhrases.load(settings.data_dir / "desk" / "banned_phrases.yml"),
        presence=presence, limiter=RateLimiter(settings.rate_limit_per_10s),
        access=Access(conversations), sessions=Sessions(sio), kb_loop=KbLoop(store),
    )

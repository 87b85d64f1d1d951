"""The typed application context: the services of one bridge process, built by `bridge/app.py`."""

from __future__ import annotations

from dataclasses import dataclass

import socketio

from bridge.domain.assignment import Assignment
from bridge.domain.auth import Principal, TokenService
from bridge.domain.bot_turns import Bot
from bridge.domain.citizen_limits import CitizenLimits
from bridge.domain.conversations import Conversations
from bridge.domain.escalation import Escalation
from bridge.domain.haocha import HaochaOutbox
from bridge.domain.kb_exchange import KbExchange
from bridge.domain.kb_loop import KbLoop
from bridge.domain.lifecycle import Lifecycle
from bridge.domain.login import Logins
from bridge.domain.messaging import Messaging
from bridge.domain.notify.service import Notify
from bridge.domain.offline_help import OfflineHelp
from bridge.domain.phone import Phone
from bridge.domain.phone_calls import PhoneCalls
from bridge.domain.phone_links import PhoneLinks
from bridge.domain.presence import Presence
from bridge.domain.queues import Queues
from bridge.domain.ratings import Ratings
from bridge.domain.rectification import Rectifications
from bridge.domain.staff_sessions import StaffDirectory
from bridge.domain.timeline import Timeline
from bridge.domain.token_expiry import TokenExpiry
from bridge.domain.unanswered import Unanswered
from bridge.infra.delivery import Delivery
from bridge.infra.message_store import MessageStore
from bridge.infra.rasa_pool import RasaPool
from bridge.trainer.model_store import ModelStore
from core.catalogue import Catalogue
from core.db import Store
from core.ratelimit import RateLimiter
from core.settings import Settings


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
class AppContext:
    """Everything a transport handler may call; services hold their own collaborators."""

    settings: Settings
    store: Store  # for the HTTP routes until they move behind services
    catalogue: Catalogue
    sio: socketio.AsyncServer
    tokens: TokenService
    delivery: Delivery
    timeline: Timeline
    messages: MessageStore
    messaging: Messaging
    conversations: Conversations
    queues: Queues
    assignment: Assignment
    lifecycle: Lifecycle
    ratings: Ratings
    rasa: RasaPool
    bot: Bot
    escalation: Escalation
    unanswered: Unanswered
    presence: Presence
    limiter: RateLimiter
    sessions: Sessions
    kb_loop: KbLoop
    staff: StaffDirectory  # staff role and departments as the database has them now
    logins: Logins
    citizen_limits: CitizenLimits
    user_expiry: TokenExpiry  # ends /user sockets when their token expires
    models: ModelStore  # published models for the Rasa servers
    phone: Phone  # the call centre's CTI events
    phone_calls: PhoneCalls  # call cards and their notes
    phone_links: PhoneLinks  # verified citizen numbers, hashed
    offline_help: OfflineHelp  # problems logged by window staff, volunteers and officials
    notify: Notify  # citizen notifications: outbox, triggers (a messaging follow-up), consents
    kb_exchange: KbExchange  # the 12345 knowledge exchange: signed exports, answers as drafts
    haocha: HaochaOutbox  # every rating reported to the national 好差评 system
    rectifications: Rectifications  # 核实整改 of bad ratings



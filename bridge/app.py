"""Assembly of the bridge: aiohttp application, Socket.IO server, services, lifecycle."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from pathlib import Path

import socketio
from aiohttp import web

from bridge.context import AppContext, Sessions
from bridge.domain.answer_cards import AnswerCards
from bridge.domain.assignment import Assignment
from bridge.domain.auth import TokenService
from bridge.domain.banned import BannedPhrases, ServiceNorms
from bridge.domain.bot_turns import Bot
from bridge.domain.citizen_limits import CitizenLimits
from bridge.domain.conversations import Conversations
from bridge.domain.escalation import Escalation
from bridge.domain.haocha import HaochaOutbox
from bridge.domain.kb_exchange import KbExchange
from bridge.domain.kb_loop import KbLoop
from bridge.domain.lifecycle import Lifecycle
from bridge.domain.login import Logins
from bridge.domain.login_throttle import Limits, LoginThrottle
from bridge.domain.messaging import Messaging
from bridge.domain.notify.service import build_notify
from bridge.domain.offline_help import OfflineHelp
from bridge.domain.phone import Phone
from bridge.domain.phone_calls import PhoneCalls
from bridge.domain.phone_links import PhoneLinks
from bridge.domain.ports import Attachments as AttachmentsPort
from bridge.domain.presence import Presence
from bridge.domain.queues import Queues
from bridge.domain.ratings import Ratings
from bridge.domain.rectification import Rectifications
from bridge.domain.rectification_notice import citizen_informer
from bridge.domain.retention import Retention
from bridge.domain.staff_sessions import StaffDirectory, StaffSessions
from bridge.domain.sweeper import Sweeper
from bridge.domain.timeline import Timeline
from bridge.domain.token_expiry import TokenExpiry
from bridge.domain.unanswered import Unanswered
from bridge.infra.conv_cache import ConversationCache
from bridge.infra.delivery import Delivery
from bridge.infra.message_store import MessageStore
from bridge.infra.metrics import DbCommandCounter
from bridge.infra.rasa_pool import RasaPool
from bridge.infra.runtime import freeze_startup_objects, watch_event_loop
from bridge.infra.sio_manager import ObservingManager, RedisManager
from bridge.infra.sio_packet import Packet
from bridge.media_port import MediaDesk
from bridge.trainer.model_store import ModelStore
from bridge.transport.http import browser_policy
from bridge.transport.http import routes as http_routes
from bridge.transport.http.middleware import error_middleware
from bridge.transport.sio import agent as ns_agent
from bridge.transport.sio import user as ns_user
from core.catalogue import Catalogue, get_catalogue, load_catalogue
from core.catalogue_revision import CHECK_EVERY_S as CATALOGUE_CHECK_S
from core.catalogue_revision import follow as follow_catalogue
from core.db import Store, connect
from core.ratelimit import RateLimiter
from core.settings import Settings, get_settings
from core.tasks import Periodic, cancel_and_wait
from media import routes as media_routes
from media import signalling, video_routes
from media.attachments import Attachments
from media.port import MediaCollections
from media.signalling import MediaHub
from media.video_cards import VideoCards

log = logging.getLogger("bangban.app")
MEDIA = web.AppKey("media", MediaHub)
LOOPS = web.AppKey("loops", list)
LOOP_WATCH = web.AppKey("loop_watch", asyncio.Task)


def make_sio(settings: Settings) -> socketio.AsyncServer:
    manager = RedisManager(settings.redis_url) if settings.redis_url else ObservingManager()
    return socketio.AsyncServer(
        async_mode="aiohttp", client_manager=manager, cors_allowed_origins=browser_policy.sio_origins(settings),
        max_http_buffer_size=settings.max_payload_bytes, ping_interval=25, ping_timeout=20,
        serializer=Packet, logger=False, engineio_logger=False,
    )


def build_context(settings: Settings, store: Store, catalogue: Catalogue, sio: socketio.AsyncServer,
                  attachments: AttachmentsPort) -> AppContext:
    """The services of one bridge process, each given its collaborators."""
    delivery = Delivery(sio)
    timeline = Timeline(store)
    messages = MessageStore(store, linger_s=settings.message_linger_ms / 1000)
    conversations = Conversations(store, delivery, ConversationCache(settings.redis_url))
    banned = BannedPhrases.load(settings.data_dir / "desk" / "banned_phrases.yml")
    messaging = Messaging(messages, conversations, delivery, attachments,
                          ServiceNorms(banned, store, delivery), catalogue, settings.max_text_len)
    queues = Queues(store, delivery)
    assignment = Assignment(store, conversations, messages, messaging, queues, delivery)
    escalation = Escalation(store, settings.hotline_url, settings.hotline_secret, settings.public_url)
    unanswered = Unanswered(store, catalogue)
    kb_loop = KbLoop(store)
    lifecycle = Lifecycle(conversations, messages, messaging, queues, assignment, delivery, escalation,
                          kb_loop, unanswered, catalogue)
    rasa = RasaPool(settings.rasa_servers, settings.rasa_timeout_s, settings.rasa_token)
    presence = Presence(store, settings.process_dead_s)
    bot = Bot(store, rasa, conversations, messages, messaging, lifecycle, unanswered, catalogue, presence.process_id)
    messaging.bot = bot  # bound after: the bot sends its replies through messaging, which starts its turns
    citizen_limits = CitizenLimits(store, settings, presence.process_id)
    messaging.limits = lifecycle.limits = citizen_limits
    phone_links = PhoneLinks(store, settings.phone_link_key)
    phone = Phone(store, conversations, lifecycle, assignment, queues, delivery, phone_links, catalogue,
                  settings.cti_secret)
    notify = build_notify(settings, store, timeline, catalogue, delivery.user_here)
    messaging.followups.append(notify.triggers.followup)  # notifications to citizens away from the desk
    presence.sockets_reaped.append(notify.citizens.reaped)  # citizens of dead processes are away
    lifecycle.can_notify = notify.can_reach  # the out-of-hours notice promises a notification only then
    ratings, rectifications = Ratings(store, timeline), Rectifications(store, timeline)
    haocha = HaochaOutbox(store, settings.haocha_url, settings.haocha_secret, settings.haocha_max_attempts)
    ratings.followups += [haocha.report, rectifications.open]
    rectifications.inform = citizen_informer(notify)
    return AppContext(
        settings=settings, store=store, catalogue=catalogue, sio=sio, tokens=TokenService(settings),
        delivery=delivery, timeline=timeline, messages=messages, messaging=messaging,
        conversations=conversations, queues=queues, assignment=assignment, lifecycle=lifecycle,
        ratings=ratings, rasa=rasa, bot=bot, escalation=escalation, unanswered=unanswered,
        presence=presence, limiter=RateLimiter(settings.rate_limit_per_10s),
        sessions=Sessions(sio), kb_loop=kb_loop, staff=StaffDirectory(store, settings.staff_check_s),
        logins=Logins(store, LoginThrottle(store, Limits.of(settings))),
        citizen_limits=citizen_limits, user_expiry=TokenExpiry(sio, ns_user.NS),
        models=ModelStore(store, settings),
        phone=phone, phone_calls=PhoneCalls(conversations, timeline), phone_links=phone_links,
        offline_help=OfflineHelp(store), notify=notify,
        kb_exchange=KbExchange(store, catalogue, settings.knowledge_url, settings.hotline_secret,
                               settings.hotline_kb_interval_s),
        haocha=haocha, rectifications=rectifications,
    )


def _background_loops(ctx: AppContext) -> list[Periodic]:
    """This process's periodic work: timers and recovery, staff-session checks, retention sweeps."""
    s = ctx.settings
    sweeper = Sweeper(s, ctx.store, ctx.presence, ctx.conversations, ctx.lifecycle, ctx.assignment, ctx.delivery,
                      ctx.escalation, ctx.bot)
    staff = StaffSessions(ctx.sio, ns_agent.NS, ctx.store, ctx.presence, s.staff_check_s)
    retention = Retention(ctx.store, s)
    return [Periodic("sweeper", sweeper.tick, s.sweep_interval_s, log, "sweep failed"),
            Periodic("staff-sessions", staff.check, s.staff_check_s, log, "staff session check failed"),
            Periodic("retention", retention.sweep, s.retention_sweep_s, log, "retention sweep failed"),
            Periodic("models", ctx.models.reconcile, s.model_reconcile_s, log, "model reconcile failed"),
            Periodic("notify", ctx.notify.outbox.deliver_due, s.notify.poll_s, log, "notification outbox failed"),
            Periodic("catalogue", lambda: follow_catalogue(ctx.store, ctx.catalogue, get_catalogue()),
                     CATALOGUE_CHECK_S, log, "catalogue revision check failed"),
            Periodic("kb-exchange", ctx.kb_exchange.tick, s.hotline_kb_poll_s, log, "12345 knowledge exchange failed"),
            Periodic("haocha", ctx.haocha.deliver_due, s.haocha_poll_s, log, "好差评 outbox failed"),
            Periodic("rating-followups", ctx.ratings.follow_up_missed, s.haocha_poll_s, log,
                     "rating follow-ups failed"),
            Periodic("rectification-overdue", partial(ctx.rectifications.flag_overdue, ctx.delivery), s.haocha_poll_s,
                     log, "rectification overdue check failed")]


async def _startup(app: web.Application) -> None:
    ctx: AppContext = app["ctx"]
    for attempt in range(60):
        try:
            await ctx.store.ensure_indexes()
            break
        except Exception:  # noqa: BLE001 - the database may still be starting
            if attempt == 59:
                raise
            await asyncio.sleep(1)
    await ctx.conversations.cache.start()
    ctx.notify.citizens.start()
    app[LOOPS] = _background_loops(ctx)
    for loop in app[LOOPS]:
        loop.start()
    await app[MEDIA].start()
    app[LOOP_WATCH] = asyncio.create_task(watch_event_loop(), name="loop-watch")
    freeze_startup_objects()
    log.info("bridge started", extra={"process_id": ctx.presence.process_id})


async def _shutdown(app: web.Application) -> None:
    """First step of a stop, clients still connected: end this process's calls and co-browse sessions."""
    try:
        await app[MEDIA].close()
    except Exception:  # noqa: BLE001 - best effort on the way out
        log.warning("media shutdown failed", exc_info=True)


async def _cleanup(app: web.Application) -> None:
    ctx: AppContext = app["ctx"]
    for loop in app[LOOPS]:
        await loop.stop()
    await cancel_and_wait(app.get(LOOP_WATCH))
    try:
        await ctx.presence.shutdown()
    except Exception:  # noqa: BLE001 - best effort on the way out
        log.warning("presence shutdown failed", exc_info=True)
    await ctx.conversations.cache.close()
    await ctx.rasa.close()
    await ctx.escalation.close()
    await ctx.notify.close()
    await ctx.kb_exchange.close()
    await ctx.haocha.close()
    await ctx.store.close()


def _media_collections(store: Store) -> MediaCollections:
    return MediaCollections(db=store.db, media=store.media, cobrowse_events=store.cobrowse_events,
                            media_sessions=store.media_sessions)


def _mount_media(app: web.Application, ctx: AppContext, collections: MediaCollections) -> None:
    """Media behind its port: routes, call and co-browse events."""
    desk = MediaDesk(ctx.sessions, ctx.tokens, ctx.staff, ctx.conversations, ctx.timeline, ctx.delivery, ctx.presence,
                     collections, ctx.offline_help)
    media_routes.setup(app, desk)
    video_routes.setup(app, desk)
    hub = signalling.register(ctx.sio, desk, redis_url=ctx.settings.redis_url)
    ctx.lifecycle.ended_listeners.append(hub.conversation_ended)
    app[MEDIA] = hub


def create_app(settings: Settings | None = None) -> web.Application:
    """Build the bridge application (no I/O until it starts)."""
    settings = settings or get_settings()
    settings.check()
    sio = make_sio(settings)
    app = web.Application(middlewares=[browser_policy.middleware(settings), error_middleware],
                          client_max_size=25 * 1024 * 1024)
    sio.attach(app)
    store = connect(settings, event_listeners=[DbCommandCounter()])
    collections = _media_collections(store)
    # media describes the uploads that messages attach (`bridge.domain.ports.Attachments`)
    ctx = build_context(settings, store, load_catalogue(settings.data_dir), sio, Attachments(collections.media))
    ctx.messaging.cards = AnswerCards(store, VideoCards(collections.db["media_videos"]))
    app["ctx"] = ctx
    if isinstance(sio.manager, RedisManager):
        sio.manager.message_observers.append(ctx.messages.observe)
    app["sio"] = sio
    ns_user.register(sio, ctx)
    ns_agent.register(sio, ctx)
    http_routes.install(app, documented=[media_routes.table, video_routes.table])
    _mount_media(app, ctx, collections)
    media_static = Path(__file__).resolve().parent.parent / "media" / "static"
    if media_static.exists():
        app.router.add_static("/media-static/", media_static, show_index=False)
    app.on_startup.append(_startup)
    app.on_shutdown.append(_shutdown)
    app.on_cleanup.append(_cleanup)
    return app

"""The notification service of one bridge process, assembled from settings (used by the composition root)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bridge.domain.notify.citizens import CitizenPresence
from bridge.domain.notify.consent import Consents
from bridge.domain.notify.outbox import NotifyOutbox
from bridge.domain.notify.templates import Templates
from bridge.domain.notify.triggers import NotifyTriggers
from bridge.domain.timeline import Timeline
from bridge.infra.notify_providers.alipay import Alipay
from bridge.infra.notify_providers.base import Provider
from bridge.infra.notify_providers.push import AppPush
from bridge.infra.notify_providers.sms import Sms
from bridge.infra.notify_providers.wechat import WeChat
from core.catalogue import Catalogue
from core.db import Store
from core.notify_settings import NotifySettings, pem
from core.settings import Settings


@dataclass
class Notify:
    """The outbox (sending, supervisors), the triggers (messaging's hook) and the citizens' consents."""

    outbox: NotifyOutbox
    triggers: NotifyTriggers
    consents: Consents
    citizens: CitizenPresence  # whether a citizen has a socket on any process (told of openings and closings)

    async def close(self) -> None:
        await self.outbox.close()
        await self.citizens.close()

    async def can_reach(self, conv: dict) -> bool:
        """Whether a notification can reach the conversation's citizen (the out-of-hours notice promises
        one only then): the same choice of provider the triggers make."""
        return bool((conv.get("user") or {}).get("id")) and await self.triggers.target(conv) is not None


def providers(s: NotifySettings) -> dict[str, Provider]:
    """The four provider clients as configured (an unconfigured one skips its notifications)."""
    return {
        "wechat": WeChat(s.wechat_api_url, s.wechat_appid, s.wechat_secret, s.wechat_state, s.wechat_lang),
        "alipay": Alipay(s.alipay_gateway_url, s.alipay_app_id, pem(s.alipay_private_key), pem(s.alipay_public_key)),
        "push": AppPush(s.push_url, s.push_app_key, s.push_secret),
        "sms": Sms(s.sms_url, s.sms_secret, s.sms_sign_name),
    }


def build_notify(settings: Settings, store: Store, timeline: Timeline, catalogue: Catalogue,
                 here: Callable[[str], bool] | None = None) -> Notify:
    """The notification service; `here(user)`: whether the citizen has a socket on this process."""
    s = settings.notify
    templates = Templates.load(s.templates_file or settings.data_dir / "notify" / "templates.yml")
    consents = Consents(store, {p: templates.by_template(p) for p in ("wechat", "alipay")})
    citizens = CitizenPresence(store, settings.redis_url, here)
    outbox = NotifyOutbox(store, timeline, consents, providers(s), s, citizens=citizens)
    triggers = NotifyTriggers(store, outbox, consents, templates, catalogue, timeline, s)
    return Notify(outbox=outbox, triggers=triggers, consents=consents, citizens=citizens)

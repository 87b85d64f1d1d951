"""The safety rules `Settings.check()` applies: what production (or any run that is not local development)
must configure explicitly, each problem naming its variable."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from core.settings import Settings

MIN_SECRET_BYTES = 32
# local development: BANGBAN_ENV=development, a loopback BANGBAN_HOST, the embedded database (or BANGBAN_DEMO=1)
WHERE = "outside local development"


def is_standin_url(url: str) -> bool:
    """The 12345 stand-in (or anything else on this machine's loopback) as the hotline target."""
    from core.settings import is_loopback

    host = urlsplit(url).hostname or ""
    return not host or is_loopback(host)


def _weak(name: str, value: str) -> str | None:
    if not value:
        return f"{name}: must be set {WHERE}"
    if len(value.encode()) < MIN_SECRET_BYTES:
        return f"{name}: must be at least {MIN_SECRET_BYTES} bytes (got {len(value.encode())})"
    return None


def unsafe_settings(settings: Settings) -> list[str]:
    """Every unsafe setting of this process, as `VARIABLE: what is wrong`; empty in local development."""
    if settings.local_development:
        return []
    problems = [
        _weak("BANGBAN_TOKEN_SECRET", "" if settings.token_secret_generated else settings.token_secret),
        _weak("HOTLINE_SECRET", settings.hotline_secret),
        _weak("RASA_TOKEN", settings.rasa_token),
    ]
    problems += [_weak(name, value) for name, value in (("CTI_SECRET", settings.cti_secret),
                                                         ("PHONE_LINK_KEY", settings.phone_link_key)) if value]
    if settings.haocha_url:  # reports to the 好差评 intake are signed with it
        problems.append(_weak("HAOCHA_SECRET", settings.haocha_secret))
    if settings.dev_token_endpoint:
        problems.append(f"BANGBAN_DEV_TOKENS: must be off {WHERE}")
    if is_standin_url(settings.hotline_url):
        problems.append(f"HOTLINE_URL: the 12345 stand-in (a loopback address) cannot be the target {WHERE} "
                        f"(got {settings.hotline_url})")
    from core.notify_settings import unsafe_notify

    problems += unsafe_notify(settings.notify, WHERE)
    if settings.is_production and settings.embedded_db:
        problems.append("MONGO_URL: must point at a real MongoDB replica set in production")
    if settings.is_production and settings.demo:
        problems.append("BANGBAN_DEMO: must be off in production")
    if settings.is_production and (settings.portal_public_key or settings.portal_jwks):
        for name, value in (("PORTAL_ISSUER", settings.portal_issuer), ("PORTAL_AUDIENCE", settings.portal_audience)):
            if not value:
                problems.append(f"{name}: must be set in production when portal keys are configured")
    return [p for p in problems if p]

"""Settings of the citizen notifications (bridge/domain/notify/): outbox, policy and the four providers.

Nested in `Settings.notify`; each field is read from the environment variable named by its alias (README's
settings table, docs/notifications.md). A provider whose URL or credentials are empty is "not configured":
its notifications are skipped (and say so on the timeline), never retried.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_CONFIG = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, frozen=True, extra="ignore",
                             populate_by_name=True)
Count = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(gt=0)]
Delay = Annotated[float, Field(ge=0)]
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
PROVIDERS = ("wechat", "alipay", "push", "sms")


class NotifySettings(BaseSettings):
    """What the notification outbox and its providers need."""

    model_config = _CONFIG

    enabled: bool = Field(True, alias="NOTIFY_ENABLED")
    poll_s: Seconds = Field(1.0, alias="NOTIFY_POLL_S")  # how often each process looks for due notifications
    # an agent's replies within this window after a notification are coalesced into it
    coalesce_s: Seconds = Field(300.0, alias="NOTIFY_COALESCE_S")
    # a reply waits this long before it is sent: a citizen who comes back meanwhile is not notified
    delay_s: Delay = Field(15.0, alias="NOTIFY_DELAY_S")
    max_attempts: Count = Field(6, alias="NOTIFY_MAX_ATTEMPTS")  # then dead-lettered
    retry_base_s: Seconds = Field(5.0, alias="NOTIFY_RETRY_BASE_S")
    retry_max_s: Seconds = Field(600.0, alias="NOTIFY_RETRY_MAX_S")
    per_citizen_per_hour: Count = Field(6, alias="NOTIFY_PER_CITIZEN_PER_HOUR")
    quiet_hours: str = Field("22:00-08:00", alias="NOTIFY_QUIET_HOURS")  # Asia/Shanghai; "off": none
    # providers held back during the quiet hours (sent when they end)
    quiet_providers: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["sms"],
                                                            alias="NOTIFY_QUIET_PROVIDERS")
    templates_file: Path | None = Field(None, alias="NOTIFY_TEMPLATES")  # default data/notify/templates.yml
    # WeChat mini-program subscription messages
    wechat_api_url: str = Field("https://api.weixin.qq.com", alias="WECHAT_API_URL")
    wechat_appid: str = Field("", alias="WECHAT_APPID")
    wechat_secret: str = Field("", alias="WECHAT_SECRET")
    wechat_state: Literal["developer", "trial", "formal"] = Field("formal", alias="WECHAT_MINIPROGRAM_STATE")
    wechat_lang: str = Field("zh_CN", alias="WECHAT_LANG")
    # Alipay mini-program subscription messages (open API gateway, RSA2)
    alipay_gateway_url: str = Field("https://openapi.alipay.com/gateway.do", alias="ALIPAY_GATEWAY_URL")
    alipay_app_id: str = Field("", alias="ALIPAY_APP_ID")
    alipay_private_key: str = Field("", alias="ALIPAY_APP_PRIVATE_KEY")  # PEM text or a PEM file's path
    alipay_public_key: str = Field("", alias="ALIPAY_PUBLIC_KEY")  # Alipay's key: PEM text or a path
    # the 随申办 app's push gateway (HMAC-signed JSON)
    push_url: str = Field("", alias="PUSH_URL")
    push_app_key: str = Field("bangban", alias="PUSH_APP_KEY")
    push_secret: str = Field("", alias="PUSH_SECRET")
    # the SMS platform (HMAC-signed JSON), verified numbers only
    sms_url: str = Field("", alias="SMS_URL")
    sms_secret: str = Field("", alias="SMS_SECRET")
    sms_sign_name: str = Field("一网通办", alias="SMS_SIGN_NAME")

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        if value.strip().lower() == "off":
            return ""
        if not _HOURS.match(value):
            raise ValueError("must be HH:MM-HH:MM (e.g. 22:00-08:00) or off")
        return value

    @field_validator("quiet_providers", mode="before")
    @classmethod
    def _providers(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [p.strip() for p in value.split(",") if p.strip()]
        bad = [p for p in value if p not in PROVIDERS]
        if bad:
            raise ValueError(f"must be a comma list of {', '.join(PROVIDERS)}, not {', '.join(bad)}")
        return value

    @field_validator("wechat_api_url", "alipay_gateway_url", "push_url", "sms_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


def pem(value: str) -> bytes:
    """A key setting as PEM bytes: the text itself when it is PEM, else the file it names (b"" when unset)."""
    if not value:
        return b""
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    return Path(value).read_bytes()


def unsafe_notify(s: NotifySettings, where: str) -> list[str]:
    """Problems of configured providers outside local development: stand-in targets, short secrets."""
    from core.settings_checks import MIN_SECRET_BYTES, is_standin_url

    problems = []
    for name, url, configured in (("WECHAT_API_URL", s.wechat_api_url, bool(s.wechat_appid)),
                                  ("ALIPAY_GATEWAY_URL", s.alipay_gateway_url, bool(s.alipay_app_id)),
                                  ("PUSH_URL", s.push_url, bool(s.push_url)), ("SMS_URL", s.sms_url, bool(s.sms_url))):
        if configured and is_standin_url(url):
            problems.append(f"{name}: the notification stand-ins (a loopback address) cannot be the target {where} "
                            f"(got {url})")
    for name, url, secret in (("PUSH_SECRET", s.push_url, s.push_secret), ("SMS_SECRET", s.sms_url, s.sms_secret)):
        if url and len(secret.encode()) < MIN_SECRET_BYTES:
            problems.append(f"{name}: must be at least {MIN_SECRET_BYTES} bytes when its URL is set {where}")
    return problems

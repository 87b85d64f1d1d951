"""All configuration in one place: one pydantic-settings model read from environment variables.

Every process (bridge, action server, launcher, admin CLI, tests) reads its settings here.
`load_settings()` reads the environment afresh; `get_settings()` caches one copy. Each field is
read from the variable named by its alias (the names in README's settings table); media's limits
are the nested `Settings.media`. A bad value raises `SettingsError` naming the variable, e.g.
`AGENT_CAPACITY: must be ≥ 1 (got -3)`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from core.media_settings import _CONFIG, MB, Count, Delay, MediaSettings, Port, Seconds, _comma_list
from core.notify_settings import NotifySettings

ROOT = Path(__file__).resolve().parent.parent
DEV, PROD = "development", "production"


class SettingsError(ValueError):
    """Raised when the configuration is invalid, unsafe or inconsistent."""


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOG_LEVELS = get_args(LogLevel)


def _help_hours_ok(value: Any) -> bool:
    """Whether `value` has routing.yml's help-hours shape with HH:MM times."""
    overrides = value.get("overrides") or {} if isinstance(value, dict) else None
    if not isinstance(overrides, dict):
        return False
    specs = [value.get("default"), *overrides.values()]
    return all(isinstance(s, dict) and all(re.fullmatch(r"\d{1,2}:\d{2}", str(s.get(k, ""))) for k in ("start", "end"))
               for s in specs)


class Settings(BaseSettings):
    """The settings of every process; build it with `load_settings()` or `get_settings()`."""

    model_config = _CONFIG

    env: Literal["development", "production"] = Field(DEV, alias="BANGBAN_ENV")
    var_dir: Path = Field(ROOT / "var", alias="BANGBAN_VAR")
    data_dir: Path = Field(ROOT / "data", alias="BANGBAN_DATA")
    # storage
    db_port: Port = Field(27017, alias="BANGBAN_DB_PORT")  # of the embedded server
    mongo_url: str = Field(alias="MONGO_URL")
    embedded_db: bool = Field(alias="_embedded_db")
    mongo_db: str = Field("bangban", alias="MONGO_DB")
    redis_url: str = Field("", alias="REDIS_URL")
    # the CPU core the embedded database runs on: "last", "none" (unpinned) or a core number; its threads share
    # one GIL, and spread over cores they burn about twice the CPU per command (docs/reliability.md, session 9)
    db_cpu: str = Field("last", pattern=r"^(last|none|\d+)$", alias="BANGBAN_DB_CPU")
    # services
    host: str = Field("127.0.0.1", alias="BANGBAN_HOST")
    port: Port = Field(8080, alias="BANGBAN_PORT")
    rasa_url: str = Field("http://127.0.0.1:5005", alias="RASA_URL")
    # several Rasa servers (sharing the tracker store and a Redis lock store): turns go to the one with the
    # fewest requests in flight; empty = RASA_URL alone
    rasa_urls: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="RASA_URLS")
    # how the Rasa servers reach a bridge to download a published model (default: BANGBAN_PUBLIC_URL)
    model_server_url: str = Field("", alias="MODEL_SERVER_URL")
    # how often a bridge checks that every Rasa server runs the live model (a restarted one does not)
    model_reconcile_s: float = Field(15.0, gt=0, alias="MODEL_RECONCILE_S")
    actions_url: str = Field("http://127.0.0.1:5055", alias="ACTIONS_URL")
    hotline_url: str = Field("http://127.0.0.1:8090/workorders", alias="HOTLINE_URL")
    hotline_secret: str = Field(alias="HOTLINE_SECRET")
    # the hotline's knowledge endpoint (docs/hotline-exchange.md); empty: `knowledge` next to HOTLINE_URL
    hotline_kb_url: str = Field("", alias="HOTLINE_KB_URL")
    hotline_kb_interval_s: float = Field(3600.0, gt=0, alias="HOTLINE_KB_INTERVAL_S")  # periodic export and pull
    hotline_kb_poll_s: float = Field(10.0, gt=0, alias="HOTLINE_KB_POLL_S")  # the job's tick (retries are due)
    # the national 好差评 intake (docs/haocha.md): empty URL = not configured, reports kept as skipped
    haocha_url: str = Field("", alias="HAOCHA_URL")
    haocha_secret: str = Field("", alias="HAOCHA_SECRET")
    haocha_max_attempts: int = Field(8, ge=1, alias="HAOCHA_MAX_ATTEMPTS")  # then a dead letter
    haocha_poll_s: float = Field(2.0, gt=0, alias="HAOCHA_POLL_S")  # outbox and overdue rectifications

    @property
    def knowledge_url(self) -> str:
        """HOTLINE_KB_URL, else `<HOTLINE_URL without its last segment>/knowledge`."""
        return self.hotline_kb_url or self.hotline_url.rstrip("/").rsplit("/", 1)[0] + "/knowledge"
    # the call centre's CTI events (docs/cti.md): their shared HMAC secret (empty: every event refused),
    # and the port of the development call-centre stand-in (ops/cti_standin.py)
    cti_secret: str = Field(alias="CTI_SECRET")
    cti_standin_port: Port = Field(8091, alias="CTI_STANDIN_PORT")
    # key of the hashes under which verified citizen phone numbers are looked up (empty: no lookup)
    phone_link_key: str = Field(alias="PHONE_LINK_KEY")
    public_url: str = Field(alias="BANGBAN_PUBLIC_URL")
    # security
    token_secret: str = Field(alias="BANGBAN_TOKEN_SECRET")
    token_secret_generated: bool = Field(alias="_token_secret_generated")
    rasa_token: str = Field(alias="RASA_TOKEN")  # Rasa's --auth-token and the action server's token
    demo: bool = Field(False, alias="BANGBAN_DEMO")  # development features also on an external MONGO_URL
    portal_public_key: str = Field("", alias="PORTAL_PUBLIC_KEY")
    # the portal's keys as a JWKS file path or URL (chosen by kid, reloaded: rotation); replaces the PEM key
    portal_jwks: str = Field("", alias="PORTAL_JWKS")
    portal_issuer: str = Field("", alias="PORTAL_ISSUER")  # required `iss` of portal tokens, when set
    portal_audience: str = Field("", alias="PORTAL_AUDIENCE")  # required `aud` of portal tokens, when set
    # browser origins besides the panes' own that may call the API and open sockets (a comma list)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="CORS_ORIGINS")
    # lifetime of a signed media URL (`/api/v1/media/<id>?exp=…&sig=…`)
    media_url_ttl_s: Count = Field(600, alias="MEDIA_URL_TTL_S")
    agent_token_ttl_s: Count = Field(12 * 3600, alias="AGENT_TOKEN_TTL_S")
    user_token_ttl_s: Count = Field(24 * 3600, alias="USER_TOKEN_TTL_S")
    dev_token_endpoint: bool = Field(alias="BANGBAN_DEV_TOKENS")
    # login throttling (bridge/domain/login_throttle.py) and the re-check of open staff sockets
    login_user_failures: Count = Field(10, alias="LOGIN_USER_FAILURES")  # free failures per username and window
    login_address_failures: Count = Field(50, alias="LOGIN_ADDRESS_FAILURES")  # per client address and window
    login_window_s: Seconds = Field(900.0, alias="LOGIN_WINDOW_S")
    login_lock_s: Seconds = Field(30.0, alias="LOGIN_LOCK_S")  # first lock; doubles per further failure
    login_lock_max_s: Seconds = Field(900.0, alias="LOGIN_LOCK_MAX_S")
    staff_check_s: Seconds = Field(2.0, alias="STAFF_CHECK_S")
    # peers whose X-Forwarded-For names the client (the load balancer); nobody else is believed
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="TRUSTED_PROXIES")
    # desk rules
    default_capacity: Count = Field(5, alias="AGENT_CAPACITY")
    grace_period_s: Delay = Field(60.0, alias="AGENT_GRACE_S")
    first_response_alert_s: Delay = Field(60.0, alias="FIRST_RESPONSE_ALERT_S")
    first_response_reassign_s: Delay = Field(120.0, alias="FIRST_RESPONSE_REASSIGN_S")
    sweep_interval_s: Seconds = Field(1.0, alias="SWEEP_INTERVAL_S")
    process_dead_s: Seconds = Field(15.0, alias="PROCESS_DEAD_S")
    rasa_timeout_s: Seconds = Field(4.0, alias="RASA_TIMEOUT_S")
    bot_turn_stuck_s: Seconds = Field(60.0, alias="BOT_TURN_STUCK_S")
    # under load, how long a message insert waits for others to share its command (0: never waits)
    message_linger_ms: Delay = Field(0.0, alias="MESSAGE_LINGER_MS")
    # replaces routing.yml's `help_hours` block (JSON, same shape; `days: "all"` = every day, end "24:00")
    help_hours: Annotated[dict, NoDecode] = Field(default_factory=dict, alias="HELP_HOURS")
    gc_threshold: Annotated[tuple[int, int, int], NoDecode] = Field((50000, 20, 100), alias="GC_THRESHOLD")
    max_text_len: Count = Field(2000, alias="MAX_TEXT_LEN")
    max_payload_bytes: Count = Field(MB, alias="MAX_PAYLOAD_BYTES")
    rate_limit_per_10s: Count = Field(30, alias="RATE_LIMIT_PER_10S")
    # HTTP requests per minute of one caller (token subject, else client address); /healthz, /metrics exempt
    http_rate_limit_per_min: Count = Field(1200, alias="HTTP_RATE_LIMIT_PER_MIN")
    log_level: LogLevel = Field("INFO", alias="LOG_LEVEL")
    # per-citizen limits, shared by every bridge process (bridge/domain/citizen_limits.py)
    user_max_sockets: Count = Field(5, alias="USER_MAX_SOCKETS")
    user_max_open_conversations: Count = Field(3, alias="USER_MAX_OPEN_CONVERSATIONS")
    user_new_conversations_per_hour: Count = Field(20, alias="USER_NEW_CONVERSATIONS_PER_HOUR")
    user_handoffs_per_hour: Count = Field(10, alias="USER_HANDOFFS_PER_HOUR")
    user_uploads_per_day: Count = Field(100, alias="USER_UPLOADS_PER_DAY")
    user_upload_bytes_per_day: Count = Field(200 * MB, alias="USER_UPLOAD_BYTES_PER_DAY")
    # retention of personal information, in days (bridge/domain/retention.py)
    retention_messages_days: Seconds = Field(180.0, alias="RETENTION_MESSAGES_DAYS")
    retention_media_days: Seconds = Field(90.0, alias="RETENTION_MEDIA_DAYS")
    retention_recordings_days: Seconds = Field(30.0, alias="RETENTION_RECORDINGS_DAYS")
    retention_cobrowse_days: Seconds = Field(7.0, alias="RETENTION_COBROWSE_DAYS")
    retention_unanswered_days: Seconds = Field(180.0, alias="RETENTION_UNANSWERED_DAYS")
    retention_trackers_days: Seconds = Field(90.0, alias="RETENTION_TRACKERS_DAYS")
    retention_sweep_s: Seconds = Field(3600.0, alias="RETENTION_SWEEP_S")
    tracker_db: str = Field("rasa", alias="BANGBAN_TRACKER_DB")  # Rasa's tracker store (same server)
    # media
    media: MediaSettings = Field(default_factory=MediaSettings, alias="_media")
    # citizen notifications (core/notify_settings.py)
    notify: NotifySettings = Field(default_factory=NotifySettings, alias="_notify")
    # set by code (tests, embedding), not from the environment
    extra: dict = Field(default_factory=dict, alias="_extra")

    @property
    def is_production(self) -> bool:
        return self.env == PROD

    @property
    def local_development(self) -> bool:
        """Development on loopback against the embedded database (or an external one with BANGBAN_DEMO)."""
        return is_local_development(self.env, self.host, self.embedded_db, self.demo)

    @property
    def dev_tokens_enabled(self) -> bool:
        """Whether `POST /api/v1/dev/user-token` may mint tokens in this process."""
        return self.dev_token_endpoint and self.local_development

    @property
    def rasa_servers(self) -> list[str]:
        """Every Rasa server's base URL (RASA_URLS, else RASA_URL)."""
        return [u.rstrip("/") for u in self.rasa_urls] or [self.rasa_url]

    @property
    def model_base_url(self) -> str:
        """The bridge's URL as the Rasa servers reach it (model downloads)."""
        return (self.model_server_url or self.public_url).rstrip("/")

    @property
    def rasa_auth(self) -> dict[str, str]:
        """Query parameters of a call to Rasa's HTTP API (`?token=`, as Rasa requires)."""
        return {"token": self.rasa_token} if self.rasa_token else {}

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Fill the values whose defaults depend on others (raw strings, validated afterwards)."""
        data = dict(data)
        env = data.get("BANGBAN_ENV", DEV)
        data["_embedded_db"] = not data.get("MONGO_URL")
        if data["_embedded_db"]:
            data["MONGO_URL"] = (f"mongodb://127.0.0.1:{data.get('BANGBAN_DB_PORT', 27017)}"
                                 "/?retryWrites=false&journal=true")
        local = is_local_development(env, data.get("BANGBAN_HOST", "127.0.0.1"), data["_embedded_db"],
                                     _truthy(data.get("BANGBAN_DEMO")))
        data.setdefault("BANGBAN_PUBLIC_URL",
                        f"http://{data.get('BANGBAN_HOST', '127.0.0.1')}:{data.get('BANGBAN_PORT', 8080)}")
        data.setdefault("BANGBAN_DEV_TOKENS", local)
        data["_token_secret_generated"] = not data.get("BANGBAN_TOKEN_SECRET")
        # generated secrets only for a local development run; elsewhere check() asks for them
        var_dir = Path(data.get("BANGBAN_VAR") or ROOT / "var")
        for name, file in (("BANGBAN_TOKEN_SECRET", "token_secret"), ("HOTLINE_SECRET", "hotline_secret"),
                           ("RASA_TOKEN", "rasa_token"), ("CTI_SECRET", "cti_secret"),
                           ("PHONE_LINK_KEY", "phone_link_key")):
            data.setdefault(name, generated_secret(var_dir, file) if local else "")
        return data

    _split_origins = field_validator("cors_origins", mode="before")(_comma_list)
    _split_rasa = field_validator("rasa_urls", mode="before")(_comma_list)

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        bad = [o for o in value if o == "*" or not o.startswith(("http://", "https://")) or o.count("/") != 2]
        if bad:
            raise ValueError(f"must be origins like https://host[:port], not {', '.join(bad)}")
        return value

    @field_validator("rasa_url", "actions_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        if isinstance(value, str) and value.upper() in LOG_LEVELS:
            return value.upper()
        return value

    _split_proxies = field_validator("trusted_proxies", mode="before")(_comma_list)

    @field_validator("help_hours", mode="before")
    @classmethod
    def _parse_help_hours(cls, value: Any) -> Any:
        value = json.loads(value) if isinstance(value, str) and value.strip() else value or {}
        if value and not _help_hours_ok(value):
            raise ValueError('must be JSON like {"default": {"start": "09:00", "end": "17:00"}, "overrides": {}}')
        return value

    @field_validator("gc_threshold", mode="before")
    @classmethod
    def _parse_gc_threshold(cls, value: Any) -> Any:
        try:
            parts = tuple(int(part) for part in _comma_list(value))
        except (TypeError, ValueError):
            parts = ()
        if len(parts) != 3 or min(parts) < 1:
            raise ValueError("must be three positive integers, e.g. 50000,20,100")
        return parts

    def check(self) -> None:
        """Refuse unsafe settings: production, or development away from loopback and the embedded database."""
        from core.settings_checks import unsafe_settings

        problems = unsafe_settings(self)
        if problems:
            raise SettingsError("; ".join(problems))


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (the bridge cannot be reached from another machine)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_local_development(env: str, host: str, embedded_db: bool, demo: bool) -> bool:
    """Where development features (dev tokens, demo accounts, stand-ins, generated secrets) are allowed."""
    return env == DEV and is_loopback(host) and (embedded_db or demo)


def generated_secret(var_dir: Path, name: str = "token_secret") -> str:
    """The development secret kept in `var/<name>`, made (owner-only) on first use."""
    path = var_dir / name
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it a moment ago
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    for _ in range(50):  # the other process may not have written it yet
        secret = path.read_text().strip()
        if secret:
            return secret
        time.sleep(0.01)
    raise SettingsError(f"{path}: empty secret file; delete it to make a new one")


_MESSAGES = {
    "greater_than_equal": "must be ≥ {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be ≤ {le}",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_parsing": "must be a number",
    "bool_parsing": "must be on or off (1/0, true/false, yes/no)",
    "literal_error": "must be {expected}",
}


def _describe(error: dict[str, Any]) -> str:
    """`NAME: what is wrong (got value)` for one pydantic error."""
    name = ".".join(str(part) for part in error["loc"][:1]) or "settings"
    ctx = error.get("ctx") or {}
    if error["type"] == "value_error":
        text = str(ctx.get("error", error["msg"]))
    else:
        bounds = {k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()}
        text = _MESSAGES.get(error["type"], error["msg"]).format(**bounds)
    got = error.get("input")
    if isinstance(got, str) and got and got == got.strip():
        return f"{name}: {text} (got {got})"
    return f"{name}: {text} (got {got!r})"


def load_settings() -> Settings:
    """Read the environment into a fresh Settings object; SettingsError names every bad variable."""
    problems: list[str] = []
    media = None
    try:
        media = MediaSettings()
    except ValidationError as exc:
        problems += [_describe(e) for e in exc.errors()]
    notify = None
    try:
        notify = NotifySettings()
    except ValidationError as exc:
        problems += [_describe(e) for e in exc.errors()]
    try:
        settings = Settings(_media=media or MediaSettings.model_construct(),
                            _notify=notify or NotifySettings.model_construct())
    except ValidationError as exc:
        problems += [_describe(e) for e in exc.errors()]
    if problems:
        raise SettingsError("; ".join(problems))
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()

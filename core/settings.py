"""All configuration in one place: environment variables with defaults.

Every process (bridge, action server, launcher, admin CLI, tests) reads its
settings here. `load_settings()` is cheap; `get_settings()` caches one copy.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV, PROD = "development", "production"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _gc_threshold(raw: str) -> tuple[int, int, int]:
    parts = [int(x) for x in raw.split(",")]
    if len(parts) != 3 or min(parts) < 1:
        raise ValueError(f"GC_THRESHOLD needs three positive integers, got {raw!r}")
    return parts[0], parts[1], parts[2]


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


class SettingsError(RuntimeError):
    """Raised when the configuration is unsafe or inconsistent."""


@dataclass(frozen=True)
class Settings:
    env: str
    var_dir: Path
    data_dir: Path
    # storage
    mongo_url: str
    mongo_db: str
    embedded_db: bool
    redis_url: str
    # services
    host: str
    port: int
    rasa_url: str
    actions_url: str
    hotline_url: str
    hotline_secret: str
    public_url: str
    # security
    token_secret: str
    token_secret_generated: bool
    portal_public_key: str
    agent_token_ttl_s: int
    user_token_ttl_s: int
    dev_token_endpoint: bool
    # desk rules
    default_capacity: int
    grace_period_s: float
    first_response_alert_s: float
    first_response_reassign_s: float
    sweep_interval_s: float
    process_dead_s: float
    rasa_timeout_s: float
    bot_turn_stuck_s: float
    gc_threshold: tuple[int, int, int]
    max_text_len: int
    max_payload_bytes: int
    rate_limit_per_10s: int
    # media
    ice_servers: str
    extra: dict = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == PROD

    def check(self) -> None:
        """Refuse unsafe settings in production."""
        if not self.is_production:
            return
        problems = []
        if self.dev_token_endpoint:
            problems.append("BANGBAN_DEV_TOKENS must be off in production")
        if self.token_secret_generated:
            problems.append("BANGBAN_TOKEN_SECRET must be set explicitly in production")
        if self.embedded_db:
            problems.append("MONGO_URL must point at a real MongoDB replica set in production")
        if problems:
            raise SettingsError("; ".join(problems))


def _token_secret(var_dir: Path) -> tuple[str, bool]:
    given = _env("BANGBAN_TOKEN_SECRET")
    if given:
        return given, False
    path = var_dir / "token_secret"
    if path.exists():
        return path.read_text().strip(), True
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    return secret, True


def load_settings() -> Settings:
    """Read the environment into a fresh Settings object."""
    env = _env("BANGBAN_ENV", DEV)
    if env not in (DEV, PROD):
        raise SettingsError(f"BANGBAN_ENV must be {DEV} or {PROD}, not {env!r}")
    var_dir = Path(_env("BANGBAN_VAR", str(ROOT / "var")))
    mongo_url = _env("MONGO_URL")
    embedded = not mongo_url
    if embedded:
        mongo_url = f"mongodb://127.0.0.1:{_int('BANGBAN_DB_PORT', 27017)}/?retryWrites=false&journal=true"
    secret, generated = _token_secret(var_dir)
    host = _env("BANGBAN_HOST", "127.0.0.1")
    port = _int("BANGBAN_PORT", 8080)
    return Settings(
        env=env,
        var_dir=var_dir,
        data_dir=Path(_env("BANGBAN_DATA", str(ROOT / "data"))),
        mongo_url=mongo_url,
        mongo_db=_env("MONGO_DB", "bangban"),
        embedded_db=embedded,
        redis_url=_env("REDIS_URL"),
        host=host,
        port=port,
        rasa_url=_env("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
        actions_url=_env("ACTIONS_URL", "http://127.0.0.1:5055").rstrip("/"),
        hotline_url=_env("HOTLINE_URL", "http://127.0.0.1:8090/workorders"),
        hotline_secret=_env("HOTLINE_SECRET", "dev-hotline-secret" if env == DEV else ""),
        public_url=_env("BANGBAN_PUBLIC_URL", f"http://{host}:{port}"),
        token_secret=secret,
        token_secret_generated=generated,
        portal_public_key=_env("PORTAL_PUBLIC_KEY"),
        agent_token_ttl_s=_int("AGENT_TOKEN_TTL_S", 12 * 3600),
        user_token_ttl_s=_int("USER_TOKEN_TTL_S", 24 * 3600),
        dev_token_endpoint=_bool("BANGBAN_DEV_TOKENS", env == DEV),
        default_capacity=_int("AGENT_CAPACITY", 5),
        grace_period_s=_float("AGENT_GRACE_S", 60.0),
        first_response_alert_s=_float("FIRST_RESPONSE_ALERT_S", 60.0),
        first_response_reassign_s=_float("FIRST_RESPONSE_REASSIGN_S", 120.0),
        sweep_interval_s=_float("SWEEP_INTERVAL_S", 1.0),
        process_dead_s=_float("PROCESS_DEAD_S", 15.0),
        rasa_timeout_s=_float("RASA_TIMEOUT_S", 4.0),
        bot_turn_stuck_s=_float("BOT_TURN_STUCK_S", 60.0),
        gc_threshold=_gc_threshold(_env("GC_THRESHOLD", "50000,20,100")),
        max_text_len=_int("MAX_TEXT_LEN", 2000),
        max_payload_bytes=_int("MAX_PAYLOAD_BYTES", 1024 * 1024),
        rate_limit_per_10s=_int("RATE_LIMIT_PER_10S", 30),
        ice_servers=_env("ICE_SERVERS", ""),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()

"""Settings: production refuses development defaults; bad values are refused naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.settings import ROOT, SettingsError, load_settings


def test_production_refuses_dev_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.setenv("BANGBAN_ENV", "production")
    monkeypatch.delenv("BANGBAN_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("MONGO_URL", raising=False)
    with pytest.raises(SettingsError) as err:
        load_settings().check()
    assert "BANGBAN_TOKEN_SECRET" in str(err.value) and "MONGO_URL" in str(err.value)


PRODUCTION = {"BANGBAN_ENV": "production", "BANGBAN_TOKEN_SECRET": "x" * 64, "HOTLINE_SECRET": "h" * 32,
              "RASA_TOKEN": "r" * 40, "HOTLINE_URL": "https://12345.sh.gov.cn/intake",
              "MONGO_URL": "mongodb://db1,db2,db3/?replicaSet=rs0"}


def test_production_with_real_settings_starts(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    settings.check()
    assert not settings.dev_token_endpoint and not settings.embedded_db and not settings.local_development
    assert not list(tmp_path.iterdir())  # no secret generated outside local development


@pytest.mark.parametrize(("name", "value", "message"), [
    ("BANGBAN_TOKEN_SECRET", "short", "BANGBAN_TOKEN_SECRET: must be at least 32 bytes (got 5)"),
    ("HOTLINE_SECRET", "", "HOTLINE_SECRET: must be set"),
    ("HOTLINE_SECRET", "abc", "HOTLINE_SECRET: must be at least 32 bytes"),
    ("RASA_TOKEN", "", "RASA_TOKEN: must be set"),
    ("HOTLINE_URL", "http://127.0.0.1:8090/workorders", "HOTLINE_URL: the 12345 stand-in"),
    ("HOTLINE_URL", "http://localhost/x", "HOTLINE_URL: the 12345 stand-in"),
    ("BANGBAN_DEV_TOKENS", "1", "BANGBAN_DEV_TOKENS: must be off"),
    ("BANGBAN_DEMO", "1", "BANGBAN_DEMO: must be off in production"),
    ("MONGO_URL", "", "MONGO_URL: must point at a real MongoDB"),
])
def test_production_refuses_each_unsafe_setting_by_name(monkeypatch, tmp_path, name, value, message):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    for key, good in PRODUCTION.items():
        monkeypatch.setenv(key, good)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings().check()
    assert str(err.value).startswith(message) and "; " not in str(err.value)  # that variable only


def test_production_portal_keys_need_issuer_and_audience(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    for key, good in PRODUCTION.items():
        monkeypatch.setenv(key, good)
    monkeypatch.setenv("PORTAL_JWKS", str(tmp_path / "jwks.json"))
    monkeypatch.setenv("PORTAL_ISSUER", "https://portal.example")
    monkeypatch.delenv("PORTAL_AUDIENCE", raising=False)
    with pytest.raises(SettingsError) as err:
        load_settings().check()
    assert str(err.value).startswith("PORTAL_AUDIENCE: must be set in production when portal keys are configured")
    monkeypatch.setenv("PORTAL_AUDIENCE", "bangban")
    load_settings().check()


@pytest.mark.parametrize(("env", "local"), [
    ({}, True),
    ({"BANGBAN_HOST": "::1"}, True),
    ({"BANGBAN_HOST": "0.0.0.0"}, False),
    ({"BANGBAN_HOST": "10.1.2.3"}, False),
    ({"MONGO_URL": "mongodb://db1/?replicaSet=rs0"}, False),
    ({"MONGO_URL": "mongodb://db1/?replicaSet=rs0", "BANGBAN_DEMO": "1"}, True),
    ({"BANGBAN_HOST": "0.0.0.0", "BANGBAN_DEMO": "1"}, False),
])
def test_development_features_only_on_loopback_with_the_embedded_database(monkeypatch, tmp_path, env, local):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    for name in ("BANGBAN_HOST", "MONGO_URL", "BANGBAN_DEMO", "BANGBAN_DEV_TOKENS", "BANGBAN_ENV",
                 "BANGBAN_TOKEN_SECRET", "HOTLINE_SECRET", "RASA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    s = load_settings()
    assert s.local_development is local and s.dev_tokens_enabled is local and s.dev_token_endpoint is local
    assert bool(s.rasa_token) is local and bool(s.hotline_secret) is local
    if local:
        s.check()
    else:
        with pytest.raises(SettingsError, match="BANGBAN_TOKEN_SECRET: must be set"):
            s.check()


def test_unknown_environment_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.setenv("BANGBAN_ENV", "staging")
    with pytest.raises(SettingsError):
        load_settings()


def test_generated_secret_is_kept_between_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.delenv("BANGBAN_TOKEN_SECRET", raising=False)
    first = load_settings().token_secret
    assert load_settings().token_secret == first and (tmp_path / "token_secret").stat().st_mode & 0o077 == 0


def test_gc_threshold_is_three_positive_integers(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.setenv("GC_THRESHOLD", "1000,5,7")
    assert load_settings().gc_threshold == (1000, 5, 7)
    for bad in ("1000,5", "0,1,1", "a,b,c"):
        monkeypatch.setenv("GC_THRESHOLD", bad)
        with pytest.raises(ValueError):
            load_settings()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("BANGBAN_PORT", "abc", "BANGBAN_PORT: must be an integer (got abc)"),
    ("BANGBAN_PORT", "70000", "BANGBAN_PORT: must be ≤ 65535 (got 70000)"),
    ("AGENT_CAPACITY", "-3", "AGENT_CAPACITY: must be ≥ 1 (got -3)"),
    ("RATE_LIMIT_PER_10S", "0", "RATE_LIMIT_PER_10S: must be ≥ 1 (got 0)"),
    ("RASA_TIMEOUT_S", "soon", "RASA_TIMEOUT_S: must be a number (got soon)"),
    ("PROCESS_DEAD_S", "0", "PROCESS_DEAD_S: must be > 0 (got 0)"),
    ("GC_THRESHOLD", "1000,5", "GC_THRESHOLD: must be three positive integers, e.g. 50000,20,100 (got 1000,5)"),
    ("BANGBAN_DEV_TOKENS", "maybe", "BANGBAN_DEV_TOKENS: must be on or off"),
    ("BANGBAN_ENV", "staging", "BANGBAN_ENV: must be 'development' or 'production' (got staging)"),
    ("ICE_SERVERS", "[{", "ICE_SERVERS: must be JSON"),
    ("ICE_SERVERS", '[{"url": "stun:x"}]', "ICE_SERVERS: must be a JSON list of objects with 'urls'"),
    ("MEDIA_VOICE_MAX_S", "-1", "MEDIA_VOICE_MAX_S: must be > 0 (got -1)"),
    ("CALL_RING_TIMEOUT_S", "x", "CALL_RING_TIMEOUT_S: must be a number (got x)"),
    ("LOG_LEVEL", "loud", "LOG_LEVEL: must be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL' (got loud)"),
])
def test_bad_values_are_refused_naming_the_variable(monkeypatch, tmp_path, name, value, message):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith(message)


def test_every_bad_variable_is_named_at_once(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.setenv("AGENT_CAPACITY", "0")
    monkeypatch.setenv("MEDIA_IMAGE_MAX_BYTES", "big")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "AGENT_CAPACITY: must be ≥ 1" in str(err.value)
    assert "MEDIA_IMAGE_MAX_BYTES: must be an integer" in str(err.value)


def test_defaults_and_derived_values(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    for name in ("BANGBAN_PORT", "BANGBAN_HOST", "MONGO_URL", "BANGBAN_PUBLIC_URL", "HOTLINE_SECRET", "ICE_SERVERS",
                 "RASA_TOKEN", "BANGBAN_DEMO",
                 "AGENT_CAPACITY", "BANGBAN_ENV", "BANGBAN_DEV_TOKENS", "MEDIA_ICE_HOST_ADDRESSES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BANGBAN_DB_PORT", "27999")
    monkeypatch.setenv("RASA_URL", "http://rasa:5005/")
    monkeypatch.setenv("MAX_TEXT_LEN", "")  # empty counts as unset
    s = load_settings()
    assert (s.port, s.default_capacity, s.max_text_len, s.gc_threshold) == (8080, 5, 2000, (50000, 20, 100))
    assert s.embedded_db and s.mongo_url == "mongodb://127.0.0.1:27999/?retryWrites=false&journal=true"
    assert s.public_url == "http://127.0.0.1:8080" and s.rasa_url == "http://rasa:5005"
    assert s.dev_token_endpoint and s.extra == {}
    assert s.hotline_secret == (tmp_path / "hotline_secret").read_text() and len(s.hotline_secret) >= 32
    assert s.rasa_auth == {"token": (tmp_path / "rasa_token").read_text()}
    assert s.media.ice_servers == [] and s.media.ice_host_addresses == [] and s.media.call_recording
    assert s.media.max_upload_bytes == 20 * 1024 * 1024


def test_media_limits_keep_their_variable_names(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.setenv("MEDIA_IMAGE_MAX_BYTES", "1000")
    monkeypatch.setenv("CALL_RING_TIMEOUT_S", "0.5")
    monkeypatch.setenv("CALL_RECORDING", "0")
    monkeypatch.setenv("ICE_SERVERS", '[{"urls": "stun:stun.example.org"}]')
    monkeypatch.setenv("MEDIA_ICE_HOST_ADDRESSES", "127.0.0.1, 10.0.0.2")
    media = load_settings().media
    assert (media.image_bytes, media.call_ring_timeout_s, media.call_recording) == (1000, 0.5, False)
    assert media.ice_servers == [{"urls": "stun:stun.example.org"}]
    assert media.ice_host_addresses == ["127.0.0.1", "10.0.0.2"]


def test_bridge_refuses_to_start_with_a_bad_port(tmp_path):
    env = {**os.environ, "BANGBAN_VAR": str(tmp_path), "BANGBAN_PORT": "abc"}
    proc = subprocess.run([sys.executable, "-m", "bridge"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert "BANGBAN_PORT: must be an integer (got abc)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_message_linger_is_milliseconds_and_off_by_default(monkeypatch, tmp_path):
    from bridge.infra.message_store import LINGER_S, MessageStore

    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.delenv("MESSAGE_LINGER_MS", raising=False)
    assert load_settings().message_linger_ms / 1000 == LINGER_S == 0  # off unless set
    monkeypatch.setenv("MESSAGE_LINGER_MS", "5")
    assert load_settings().message_linger_ms == 5
    store = type("S", (), {"messages": object()})()
    batcher = MessageStore(store, linger_s=0.005)._inserts  # type: ignore[arg-type]
    assert (batcher.linger_s, batcher.linger_each) == (0.005, True)
    monkeypatch.setenv("MESSAGE_LINGER_MS", "-1")
    with pytest.raises(SettingsError, match="MESSAGE_LINGER_MS"):
        load_settings()

"""Production refuses development defaults."""

from __future__ import annotations

import pytest

from core.settings import SettingsError, load_settings


def test_production_refuses_dev_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.setenv("BANGBAN_ENV", "production")
    monkeypatch.delenv("BANGBAN_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("MONGO_URL", raising=False)
    with pytest.raises(SettingsError) as err:
        load_settings().check()
    assert "BANGBAN_TOKEN_SECRET" in str(err.value) and "MONGO_URL" in str(err.value)


def test_production_with_real_settings_starts(monkeypatch, tmp_path):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    monkeypatch.setenv("BANGBAN_ENV", "production")
    monkeypatch.setenv("BANGBAN_TOKEN_SECRET", "x" * 64)
    monkeypatch.setenv("MONGO_URL", "mongodb://db1,db2,db3/?replicaSet=rs0")
    settings = load_settings()
    settings.check()
    assert not settings.dev_token_endpoint and not settings.embedded_db


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

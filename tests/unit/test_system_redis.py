"""Which Redis a system's processes use: the bridges only when there are several, Rasa's locks when it is several."""

from __future__ import annotations

from pathlib import Path

from ops.system import System, SystemConfig


def system(bridges: int, rasa: int, redis_url: str = "") -> System:
    return System(SystemConfig(Path("/tmp/unused"), bridge_ports=list(range(8080, 8080 + bridges)), redis_port=7000,
                               more_rasa_ports=list(range(5006, 5005 + rasa)), redis_url=redis_url))


def test_one_bridge_with_several_rasa_servers_runs_redis_for_their_locks_only() -> None:
    s = system(bridges=1, rasa=2)
    assert s.runs_redis and s.redis_url == ""
    assert s.lock_store_env() == {"BANGBAN_LOCK_REDIS_HOST": "127.0.0.1", "BANGBAN_LOCK_REDIS_PORT": "7000"}


def test_several_bridges_share_our_redis() -> None:
    s = system(bridges=2, rasa=1)
    assert s.runs_redis and s.redis_url == "redis://127.0.0.1:7000/0"


def test_one_bridge_and_one_rasa_server_need_no_redis() -> None:
    s = system(bridges=1, rasa=1)
    assert not s.runs_redis and s.redis_url == ""


def test_an_external_redis_serves_the_bridges_and_the_locks() -> None:
    s = system(bridges=1, rasa=2, redis_url="redis://cache.internal:6390/2")
    assert not s.runs_redis and s.redis_url == "redis://cache.internal:6390/2"
    assert s.lock_store_env() == {"BANGBAN_LOCK_REDIS_HOST": "cache.internal", "BANGBAN_LOCK_REDIS_PORT": "6390"}

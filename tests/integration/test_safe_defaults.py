"""Safe defaults through real processes: development features only in local development (loopback,
embedded database), production refusing weak settings by name, Rasa and the action server behind the token.

Systems of their own (no Rasa) for the exposed, external-database and production cases; the session
`system` for Rasa's and the action server's token.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp
import pytest
from pymongo import MongoClient

from ops.demo import DEMO_STAFF
from ops.system import System, SystemConfig
from tests.conftest import copy_project
from tests.integration.systems import FAST_ENV

STRONG = {"BANGBAN_TOKEN_SECRET": "t" * 48, "HOTLINE_URL": "https://12345.invalid/workorders"}
DEMO_NAMES = [row[0] for row in DEMO_STAFF]


def own_system(prefix: str, mongo_url: str = "", **env: str) -> System:
    """A system without Rasa that asks for the demo accounts like `./bangban run`."""
    var = Path(tempfile.mkdtemp(prefix=f"bangban-{prefix}-"))
    cfg = SystemConfig.for_tests(var, with_rasa=False, demo_staff=True, mongo_url=mongo_url,
                                 extra_env={**FAST_ENV, **env})
    return System(cfg, log=lambda m: print(f"[{prefix}] {m}")).start()


async def mint(system: System) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{system.base_url}/api/v1/dev/user-token", json={"sub": "anyone"}) as r:
            return r.status, await r.json()


def demo_accounts(mongo_url: str, db: str) -> list[str]:
    with MongoClient(mongo_url) as client:
        return [a["username"] for a in client[db].agents.find({"username": {"$in": DEMO_NAMES}})]


@pytest.fixture(scope="module")
def exposed() -> System:
    """Development, embedded database, but the bridge bound to every interface (data: a copy, see below)."""
    data = copy_project(Path(tempfile.mkdtemp(prefix="bangban-exposed-data-")) / "project") / "data"
    system = own_system("exposed", BANGBAN_HOST="0.0.0.0", BANGBAN_DATA=str(data), **STRONG)
    yield system
    system.stop()


async def test_exposed_bridge_mints_no_token_and_has_no_demo_accounts(exposed):
    status, body = await mint(exposed)
    assert status == 403 and body["error"]["code"] == "disabled_in_production"
    assert demo_accounts(exposed.mongo_url, "bangban") == [] and "skipped" in exposed.demo_output


async def test_external_database_gets_no_demo_accounts_unless_asked(exposed):
    """A MONGO_URL other than the embedded server (here: another system's) is a real database."""
    db = "bangban_external"
    system = await asyncio.to_thread(own_system, "external", mongo_url=exposed.mongo_url, MONGO_DB=db, **STRONG)
    try:
        status, _ = await mint(system)
        assert status == 403
        assert demo_accounts(exposed.mongo_url, db) == [] and "skipped" in system.demo_output
        # explicitly asked for (a demonstration on that database): created
        env = {**os.environ, **system.env(), "MONGO_DB": db, "BANGBAN_DEMO": "1"}
        await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "ops.demo"], env=env, check=True,
                                capture_output=True, timeout=60)
        assert sorted(demo_accounts(exposed.mongo_url, db)) == sorted(DEMO_NAMES)
    finally:
        system.stop()


async def test_production_bridge_mints_no_token(exposed):
    system = await asyncio.to_thread(own_system, "prod", mongo_url=exposed.mongo_url, MONGO_DB="bangban_prod",
                                     BANGBAN_ENV="production", **STRONG)
    try:
        status, _ = await mint(system)
        assert status == 403 and demo_accounts(exposed.mongo_url, "bangban_prod") == []
    finally:
        system.stop()


def start_bridge(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in ("MONGO_URL", "BANGBAN_TOKEN_SECRET", "HOTLINE_SECRET", "RASA_TOKEN", "HOTLINE_URL",
                         "BANGBAN_DEV_TOKENS", "BANGBAN_DEMO", "BANGBAN_ENV", "BANGBAN_HOST")}
    return subprocess.run([sys.executable, "-m", "bridge"], env={**base, "BANGBAN_VAR": str(tmp_path), **env},
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])


def test_production_refuses_weak_settings_naming_each_variable(tmp_path):
    proc = start_bridge(tmp_path, BANGBAN_ENV="production", BANGBAN_TOKEN_SECRET="12345", HOTLINE_SECRET="short",
                        HOTLINE_URL="http://127.0.0.1:8090/workorders", BANGBAN_DEV_TOKENS="1")
    assert proc.returncode != 0 and "refusing to start" in proc.stderr
    for expected in ("BANGBAN_TOKEN_SECRET: must be at least 32 bytes (got 5)",
                     "HOTLINE_SECRET: must be at least 32 bytes", "RASA_TOKEN: must be set",
                     "BANGBAN_DEV_TOKENS: must be off", "HOTLINE_URL: the 12345 stand-in",
                     "MONGO_URL: must point at a real MongoDB"):
        assert expected in proc.stderr, proc.stderr
    assert not list(tmp_path.iterdir())  # no secret generated in production
    limits = start_bridge(tmp_path, BANGBAN_ENV="production", AGENT_CAPACITY="-3")
    assert limits.returncode != 0 and "AGENT_CAPACITY: must be ≥ 1 (got -3)" in limits.stderr


def test_exposed_development_without_a_token_secret_refuses_to_start(tmp_path):
    proc = start_bridge(tmp_path, BANGBAN_HOST="0.0.0.0")
    assert proc.returncode != 0 and "BANGBAN_TOKEN_SECRET: must be set" in proc.stderr
    assert "HOTLINE_URL" in proc.stderr and "Traceback" not in proc.stderr


async def test_rasa_and_actions_refuse_calls_without_the_token(system):
    token = {"token": system.secret("RASA_TOKEN")}
    actions = f"http://127.0.0.1:{system.cfg.actions_port}"
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{system.rasa_url}/status") as r:
            assert r.status == 401
        async with s.get(f"{system.rasa_url}/status", params={"token": "wrong"}) as r:
            assert r.status == 401
        async with s.put(f"{system.rasa_url}/model", json={"model_file": "/tmp/evil.tar.gz"}) as r:
            assert r.status == 401
        async with s.get(f"{system.rasa_url}/status", params=token, headers={"Origin": "http://evil.example"}) as r:
            loaded = (await r.json())["model_file"]
            assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers  # no --cors "*"
        async with s.post(f"{actions}/webhook", json={"next_action": "action_kb_answer"}) as r:
            assert r.status == 401
        async with s.get(f"{actions}/health") as r:
            assert r.status == 200
        async with s.get(f"{system.rasa_url}/status", params=token) as r:
            assert (await r.json())["model_file"] == loaded  # the refused PUT changed nothing
        # the bridge sends the token: its health check sees the bot; Rasa's own turns reach the actions
        async with s.get(f"{system.base_url}/healthz") as r:
            health = await r.json()
    assert health["bot"] and health["actions"]


async def test_healthz_reports_calendar_coverage(h):
    from core import clock
    from core.workcal import SHANGHAI

    status, health = await h.http("GET", "/healthz")
    year = clock.now().astimezone(SHANGHAI).year
    assert status == 200 and health["calendar"]["year"] == year
    assert health["calendar"]["covered"] is True  # chinese-calendar 1.11.0 has 2026
    assert isinstance(health["calendar"]["next_year_covered"], bool)


async def test_the_trainer_reloads_the_model_with_the_token(system):
    """The trainer's live-model parse and its model reload (`PUT /model`, the model downloaded from the
    bridge's model route) go through with RASA_TOKEN."""
    from bridge.trainer.training import Trainer
    from core.settings import load_settings
    from tests.support import store_for

    store = store_for(system)
    try:
        trainer = Trainer(store, load_settings(), worker=None)  # type: ignore[arg-type]
        parses = await trainer._live_parses(["你好"])
        assert parses and parses[0]["intent"]["name"]
        await trainer._load(system.model_path)  # raises on a refused reload or another model loaded
    finally:
        await store.close()


async def test_the_running_bridge_rereads_the_holiday_file(exposed):
    """Next year is beyond chinese-calendar 1.11.0; a (test-only, made-up) entry covers it without a restart."""
    from core import clock
    from core.workcal import SHANGHAI, library_covers

    next_year = clock.now().astimezone(SHANGHAI).year + 1
    path = Path(exposed.env()["BANGBAN_DATA"]) / "calendar" / "holidays.yml"
    async with aiohttp.ClientSession() as s:
        async def calendar() -> dict:
            async with s.get(f"{exposed.base_url}/healthz") as r:
                return (await r.json())["calendar"]

        # once the library publishes next year, the flag says so and there is nothing left to override
        assert (await calendar())["next_year_covered"] is library_covers(next_year)
        if library_covers(next_year):
            return
        path.write_text(f'years:\n  {next_year}:\n    source: "test only, not the official schedule"\n'
                        f'    holidays: [{next_year}-01-01]\n', encoding="utf-8")
        for _ in range(80):  # re-read within RELOAD_CHECK_S (30 s)
            if (await calendar())["next_year_covered"]:
                break
            await asyncio.sleep(0.5)
        assert (await calendar())["next_year_covered"] is True

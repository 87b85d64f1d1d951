"""A bot tier of two Rasa servers and two action servers behind one bridge (issue 18).

Turns are spread over both servers; a killed server is taken out and its turns go to the other;
a model trained in the console is published to GridFS and loaded by every server while users talk,
without a failed turn; a server restarted with its start-up model is brought to the live one.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from ops.procs import wait_until
from ops.system import System, SystemConfig
from tests.conftest import copy_project
from tests.integration.systems import FAST_ENV, MultiHarness, open_harness
from tests.support import Client, start_conversation

QUESTIONS = ["居住证怎么办理", "公积金怎么提取", "失业金怎么领取", "护照怎么办理", "营业执照怎么办"]


@pytest.fixture(scope="module")
def tier() -> System:
    var = Path(tempfile.mkdtemp(prefix="bangban-tier-"))
    extra = {**FAST_ENV, "RASA_TIMEOUT_S": "30", "MODEL_RECONCILE_S": "2",
             "BANGBAN_TRAINER_ROOT": str(copy_project(var / "project"))}
    cfg = SystemConfig.for_tests(var, bridges=1, with_rasa=True, rasa=2, actions=2, extra_env=extra)
    system = System(cfg, log=lambda m: print(f"[tier] {m}")).start()
    yield system
    system.stop()


@pytest.fixture
async def mh(tier: System):
    async for h in open_harness(tier):
        yield h


def turns_by_server(system: System) -> dict[str, float]:
    text = urllib.request.urlopen(f"{system.base_url}/metrics", timeout=10).read().decode()
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r'bangban_rasa_turns_total\{server="([^"]+)"\} (\S+)', text)}


def rasa_model(system: System, port: int) -> str:
    """The model file a Rasa server runs ("" while it does not answer)."""
    token = quote(system.secret("RASA_TOKEN"))
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status?token={token}", timeout=10) as r:
            return str(json.loads(r.read()).get("model_file") or "")
    except (OSError, ValueError):
        return ""


async def ask(user: Client, text: str) -> dict:
    """A new conversation with `text`; the bot's first reply (never the apology of an unavailable bot)."""
    cid = await start_conversation(user, text)
    reply = await user.wait_for("message", timeout=60, conversation_id=cid,
                                pred=lambda d: d["sender"]["role"] == "bot")
    assert reply["meta"].get("error") != "bot_unavailable", reply
    return reply


async def test_turns_are_spread_over_both_rasa_servers(mh: MultiHarness, tier: System):
    before = turns_by_server(tier)
    users = [await mh.user() for _ in range(8)]
    await asyncio.gather(*(ask(u, QUESTIONS[i % len(QUESTIONS)]) for i, u in enumerate(users)))
    after = turns_by_server(tier)
    servers = [f"http://127.0.0.1:{p}" for p in tier.cfg.rasa_ports]
    assert all(after.get(s, 0) > before.get(s, 0) for s in servers), (before, after)


async def test_a_killed_rasa_server_is_taken_out_and_comes_back(mh: MultiHarness, tier: System):
    tier.procs["rasa-1"].kill9()
    for q in QUESTIONS * 2:  # every turn answered by the other server, none fails
        await ask(await mh.user(), q)
    tier.start_rasa(1)
    wait_until(lambda: tier._rasa_ready(tier.cfg.rasa_ports[1]), 240, "rasa-1 restart", tier.procs["rasa-1"],
               interval=1.0)
    back = f"http://127.0.0.1:{tier.cfg.rasa_ports[1]}"
    before = turns_by_server(tier).get(back, 0)
    await asyncio.sleep(5)  # past the time a server stays out
    users = [await mh.user() for _ in QUESTIONS]
    await asyncio.gather(*(ask(u, q) for u, q in zip(users, QUESTIONS, strict=True)))
    assert turns_by_server(tier).get(back, 0) > before


@pytest.mark.timeout(1200)
async def test_a_model_trained_in_the_console_goes_live_on_every_server_without_a_failed_turn(
        mh: MultiHarness, tier: System):
    username, _ = await mh.make_staff([], "trainer")
    token = await mh.staff_token(username)
    stop = asyncio.Event()
    answered: list[dict] = []

    async def pump() -> None:  # citizens keep asking while the model is trained and rolled out
        i = 0
        while not stop.is_set():
            answered.append(await ask(await mh.user(), QUESTIONS[i % len(QUESTIONS)]))
            i += 1
            await asyncio.sleep(0.3)

    task = asyncio.create_task(pump())
    status, body = await mh.http("POST", "/api/v1/trainer/train", token=token)
    assert status == 202, body
    job_id = body["job"]["id"]
    deadline = time.monotonic() + 1000
    while time.monotonic() < deadline:
        status, body = await mh.http("GET", f"/api/v1/trainer/train/{job_id}", token=token)
        if body["job"]["status"] != "running":
            break
        await asyncio.sleep(2)
    stop.set()
    await task  # a failed turn fails the pump (the apology of an unavailable bot)
    job = body["job"]
    assert job["status"] == "done", job
    assert len(answered) > 5
    for port in tier.cfg.rasa_ports:
        assert job["model"] in rasa_model(tier, port)

    # a server restarted with its start-up model is brought to the live one
    tier.procs["rasa-1"].kill9()
    tier.start_rasa(1)
    wait_until(lambda: job["model"] in rasa_model(tier, tier.cfg.rasa_ports[1]), 240, "reconcile after restart",
               tier.procs["rasa-1"], interval=1.0)

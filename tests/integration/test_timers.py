"""Timers on a system of their own: first-response reassignment after the configured limit."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from ops.system import System, SystemConfig
from tests.support import Harness, start_conversation, store_for


@pytest.fixture(scope="module")
def timer_system():
    var = Path(tempfile.mkdtemp(prefix="bangban-timers-"))
    env = {"FIRST_RESPONSE_ALERT_S": "1", "FIRST_RESPONSE_REASSIGN_S": "3", "SWEEP_INTERVAL_S": "0.5",
           "AGENT_GRACE_S": "60", "RASA_TIMEOUT_S": "1"}
    system = System(SystemConfig.for_tests(var, with_rasa=False, extra_env=env), log=lambda m: None).start()
    yield system
    system.stop()


@pytest.fixture
async def th(timer_system):
    harness = Harness(timer_system, store_for(timer_system))
    yield harness
    await harness.close_clients()
    await harness.store.close()


async def test_silent_agent_loses_the_conversation_after_the_limit(th):
    slow = await th.agent(["taxation"])
    user = await th.user()
    cid = await start_conversation(user, "发票申领", matter="invoice-application")
    await user.call("handoff", {"conversation_id": cid})
    await slow.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    alert = await slow.wait_for("alert", timeout=10, conversation_id=cid)
    assert alert["kind"] == "first_response_late"
    quick = await th.agent(["taxation"])
    await slow.wait_for("unassigned", timeout=15, conversation_id=cid)
    conv = await th.store.conversations.find_one({"_id": cid})
    assert conv["state"] in ("queued", "with_agent")
    timeline = [t["event"] for t in conv["timeline"]]  # its state changes, oldest first
    assert "requeued" in timeline
    got = await quick.wait_for("assigned", timeout=15, pred=lambda d: d["conversation"]["id"] == cid)
    assert got["conversation"]["id"] == cid
    assert (await th.store.agents.find_one({"_id": slow.username}))["active"] == 0

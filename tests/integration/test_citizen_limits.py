"""Per-citizen limits through two real bridge processes sharing the database: one citizen is stopped
at the socket and conversation caps (on either process) while other citizens are served."""

from __future__ import annotations

import pytest
import socketio

from ops.system import System
from tests.integration.systems import MultiHarness, harness, start_own_system
from tests.support import cmid, start_conversation


@pytest.fixture(scope="module")
def limited() -> System:
    system = start_own_system("limits", bridges=2, USER_MAX_SOCKETS="5", USER_MAX_OPEN_CONVERSATIONS="3",
                              USER_NEW_CONVERSATIONS_PER_HOUR="20", USER_HANDOFFS_PER_HOUR="2")
    yield system
    system.stop()


@pytest.fixture
async def mh(limited: System) -> MultiHarness:
    h = harness(limited)
    yield h
    await h.close_clients()
    await h.store.close()


async def test_fifty_sockets_of_one_user_stop_at_the_cap_across_processes(mh: MultiHarness):
    sub = "u-many-sockets"
    connected, refused = [], []
    for i in range(50):
        try:
            connected.append(await mh.user_on(i % 2, sub))
        except socketio.exceptions.ConnectionError as exc:
            refused.append(str(exc))
    assert len(connected) == 5 and len(refused) == 45
    other = await mh.user_on(1)
    assert (await other.call("conversations"))["ok"]
    # a closed socket frees its place
    await connected[0].close()
    assert (await mh.user_on(0, sub)).sio.connected


async def test_twenty_conversations_of_one_user_stop_at_the_cap(mh: MultiHarness):
    user = await mh.user_on(0)
    acks = [await user.call("message", {"client_msg_id": cmid(), "type": "text", "text": f"问题{i}"})
            for i in range(20)]
    assert [a["ok"] for a in acks].count(True) == 3
    assert {a["error"]["code"] for a in acks if not a["ok"]} == {"too_many_conversations"}
    assert "咨询" in acks[-1]["error"]["message"]
    # ending one lets a new one start; another citizen is served meanwhile
    first = acks[0]["conversation_id"]
    assert (await user.call("end", {"conversation_id": first}))["ok"]
    assert (await user.call("message", {"client_msg_id": cmid(), "type": "text", "text": "新问题"}))["ok"]
    other = await mh.user_on(1)
    assert await start_conversation(other)


async def test_handoffs_per_hour_are_capped(mh: MultiHarness):
    user = await mh.user_on(0)
    codes = []
    for _ in range(3):
        conv = await start_conversation(user)
        ack = await user.call("handoff", {"conversation_id": conv})
        codes.append("ok" if ack["ok"] else ack["error"]["code"])
        await user.call("end", {"conversation_id": conv})
    assert codes == ["ok", "ok", "quota_exceeded"]

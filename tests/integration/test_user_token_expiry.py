"""An open `/user` socket whose token expires is ended with `session_ended {code: token_expired}` (lite system)."""

from __future__ import annotations

import asyncio
import time

from tests.integration.systems import MultiHarness
from tests.support import start_conversation


async def test_user_socket_is_ended_when_its_token_expires(lh: MultiHarness):
    short = await lh.user(ttl_s=2)
    started = time.monotonic()
    lasting = await lh.user()
    cid = await start_conversation(short, "我的令牌快过期了")
    ended = await short.wait_for("session_ended", timeout=8)
    assert ended == {"code": "token_expired"}
    assert time.monotonic() - started < 6
    for _ in range(50):
        if not short.sio.connected:
            break
        await asyncio.sleep(0.1)
    assert not short.sio.connected
    # the conversation stays; the citizen with a valid token is untouched
    assert (await lh.store.conversations.find_one({"_id": cid}))["state"] != "closed"
    assert lasting.sio.connected and not lasting.of("session_ended")
    assert (await lasting.call("conversations"))["ok"]

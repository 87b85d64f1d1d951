"""Per-citizen limits through two real bridge processes sharing the database: one citizen is stopped
at the socket and conversation caps (on either process) while other citizens are served."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import socketio
from PIL import Image

from ops.system import System
from tests.integration.systems import MultiHarness, bridge_url, open_harness, own_system
from tests.support import cmid, start_conversation


@pytest.fixture(scope="module")
def limited() -> Iterator[System]:
    yield from own_system("limits", bridges=2, USER_MAX_SOCKETS="5", USER_MAX_OPEN_CONVERSATIONS="3",
                          USER_NEW_CONVERSATIONS_PER_HOUR="20", USER_HANDOFFS_PER_HOUR="2",
                          USER_UPLOADS_PER_DAY="3", USER_UPLOAD_BYTES_PER_DAY="60000", MEDIA_EVENTS_PER_S="5")


@pytest.fixture
async def mh(limited: System) -> AsyncIterator[MultiHarness]:
    async for h in open_harness(limited):
        yield h


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


def png(side: int, noisy: bool = False) -> bytes:
    img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)) if noisy else \
        Image.new("RGB", (side, side), (30, 120, 200))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


async def upload(mh: MultiHarness, token: str, conversation_id: str, data: bytes) -> tuple[int, dict]:
    form = aiohttp.FormData()
    form.add_field("conversation_id", conversation_id)
    form.add_field("file", data, filename="shot.png", content_type="image/png")
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{bridge_url(mh.system, 1)}/api/v1/media", data=form,
                          headers={"Authorization": f"Bearer {token}"}) as r:
            return r.status, await r.json()


async def test_uploads_per_day_are_capped_in_count_and_bytes(mh: MultiHarness):
    token = await mh.user_token()
    conv = await start_conversation(await mh.connect("/user", token))
    results = [await upload(mh, token, conv, png(64)) for _ in range(4)]
    assert [status for status, _ in results] == [201, 201, 201, 429]
    assert results[-1][1]["error"]["code"] == "quota_exceeded"
    assert results[-1][1]["error"]["scope"] == "uploads_per_day"
    # another citizen: one large file passes the byte cap
    token2 = await mh.user_token()
    conv2 = await start_conversation(await mh.connect("/user", token2))
    assert (await upload(mh, token2, conv2, png(32)))[0] == 201
    status, body = await upload(mh, token2, conv2, png(200, noisy=True))
    assert status == 429 and body["error"]["scope"] == "upload_bytes_per_day"
    assert (await upload(mh, token2, conv2, png(32)))[0] == 201  # the refused one was not counted


async def test_media_events_are_rate_limited_per_socket(mh: MultiHarness):
    user = await mh.user_on(0)
    conv = await start_conversation(user)
    acks = [await user.call("call_invite", {"conversation_id": conv, "kind": "audio"}) for _ in range(30)]
    codes = [a["error"]["code"] for a in acks if not a["ok"]]
    assert "rate_limited" in codes and codes.count("rate_limited") >= 15
    other = await mh.user_on(0)
    conv2 = await start_conversation(other)
    ack = await other.call("call_invite", {"conversation_id": conv2, "kind": "audio"})
    assert ack["error"]["code"] != "rate_limited"

"""A recorded call relayed by the server between two aiortc clients (loopback ICE), over Socket.IO."""

from __future__ import annotations

import asyncio
import io

import av

from media import calls
from media.store import MediaStore
from tests.call_peer import CallPeer
from tests.unit.media_fixtures import Recorder, media_server, mongo_uri  # noqa: F401

calls.pin_host_addresses(["127.0.0.1"])  # loopback only: no traffic to any other address


async def test_call_relayed_and_recorded(media_server):  # noqa: F811 - fixture
    url, desk, media = media_server
    user = await Recorder(url, "/user", "u1:user").connect()
    agent = await Recorder(url, "/agent", "a1:agent").connect()
    parties: list[CallPeer] = []
    try:
        invite = await agent.call("call_invite", {"conversation_id": "c1", "kind": "video"})
        assert invite["ok"] and invite["state"] == "ringing"
        call_id = invite["call_id"]
        ring = (await user.wait_for("call_invite"))[0]
        assert ring["recording"] is True and "录音" in ring["notice"]
        assert (await user.call("call_accept", {"call_id": call_id}))["ok"]
        parties = [CallPeer(user, video=True), CallPeer(agent, video=True)]
        await asyncio.gather(*(p.connect(call_id) for p in parties))
        await user.wait_for("call_state", where=lambda d: d["state"] == "active", within=15)
        await asyncio.sleep(3.0)
        for party in parties:
            assert party.frames["video"] > 10 and party.frames["audio"] > 50, party.frames
        assert (await user.call("call_hangup", {"call_id": call_id}))["ok"]
        ended = (await agent.wait_for("call_state", where=lambda d: d["state"] == "ended"))[0]
        assert ended["duration_s"] >= 3.0
        for _ in range(100):
            if media.calls.ended:
                break
            await asyncio.sleep(0.1)
        result = media.calls.ended[-1]
        assert result["recording"], result
        store = MediaStore(desk.collections.db, desk.collections.media)
        doc = await store.get(result["recording"])
        assert doc["type"] == "recording" and doc["conversation_id"] == "c1"
        data = await store.read_all(doc)
        with av.open(io.BytesIO(data)) as container:
            kinds = sorted(s.type for s in container.streams)
            assert kinds == ["audio", "audio", "video", "video"]
            video = sum(1 for _ in container.decode(video=0))
            assert video > 20
            duration = container.duration / 1e6
        # the recording spans the call from acceptance to hang-up
        assert ended["duration_s"] - 0.5 <= duration <= ended["duration_s"] + 3.0, (duration, ended)
        events = [e[1] for e in desk.entries]
        assert {"call_invited", "call_accepted", "call_started", "call_ended"} <= set(events)
    finally:
        for party in parties:
            await party.close()
        await user.client.disconnect()
        await agent.client.disconnect()


async def test_call_declined_and_missed(media_server, monkeypatch):  # noqa: F811 - fixture
    url, desk, media = media_server
    user = await Recorder(url, "/user", "u1:user").connect()
    agent = await Recorder(url, "/agent", "a1:agent").connect()
    try:
        call_id = (await user.call("call_invite", {"conversation_id": "c1", "kind": "audio"}))["call_id"]
        await agent.wait_for("call_invite")
        assert (await user.call("call_accept", {"call_id": call_id}))["error"]["code"] == "invalid_state"
        assert (await agent.call("call_decline", {"call_id": call_id}))["ok"]
        await user.wait_for("call_state", where=lambda d: d.get("reason") == "declined")
        monkeypatch.setattr(
            media.calls,
            "limits",
            media.calls.limits.__class__(**{**media.calls.limits.__dict__, "call_ring_timeout_s": 0.3}),
        )
        await agent.call("call_invite", {"conversation_id": "c1", "kind": "audio"})
        await agent.wait_for("call_state", where=lambda d: d.get("reason") == "missed", within=3)
        other = await Recorder(url, "/user", "u2:user").connect()
        refused = await other.call("call_invite", {"conversation_id": "c1", "kind": "audio"})
        assert refused["error"]["code"] == "forbidden"
        await other.client.disconnect()
    finally:
        await user.client.disconnect()
        await agent.client.disconnect()

"""Calls and co-browse with the user on bridge 0 and the agent on bridge 1 (two processes, Redis).

The session lives in the process where it started; events reaching the other process are forwarded
to it over Redis and answered from there. The last test kills the owner: the other side is told.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from media import calls
from ops.procs import port_open, wait_until
from ops.system import System
from tests.call_peer import CallPeer
from tests.integration.systems import MultiHarness, harness, start_own_system
from tests.support import Client, start_conversation

calls.pin_host_addresses(["127.0.0.1"])  # the test's peers: loopback only, like the bridges'
PHONE = "13812345678"
ID = "11010519491231002X"


@pytest.fixture(scope="module")
def media_system() -> System:
    system = start_own_system("media-scale", bridges=2, MEDIA_ICE_HOST_ADDRESSES="127.0.0.1")
    yield system
    system.stop()


@pytest.fixture
async def mh(media_system: System):
    h = harness(media_system)
    yield h
    await h.close_clients()
    await h.store.close()


async def served(mh: MultiHarness, dep: str, matter: str) -> tuple[Client, Client, str]:
    """A user on bridge 0 served by an agent on bridge 1."""
    await mh.reset_department(dep)
    agent = await mh.agent_on(1, [dep])
    user = await mh.user_on(0)
    cid = await start_conversation(user, "我想咨询一下办理流程", matter=matter)
    ack = await user.call("handoff", {"conversation_id": cid})
    assert ack["ok"] and ack["state"] == "with_agent", ack
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    return user, agent, cid


async def owner_bridge(mh: MultiHarness, kind: str, cid: str) -> int | None:
    """Which bridge (0, 1) holds the conversation's session, from `media_sessions`."""
    doc = await mh.store.media_sessions.find_one({"_id": f"{kind}:{cid}"})
    if doc is None:
        return None
    pids = [str(mh.system.procs[f"bridge-{i}"].popen.pid) for i in range(2)]
    return pids.index(doc["process_id"].split("-")[0])


async def timeline_count(mh: MultiHarness, cid: str, event: str) -> int:
    return await mh.store.timeline.count_documents({"conversation_id": cid, "event": event})


def snapshot() -> list[dict]:
    body = {"type": 2, "tagName": "body", "attributes": {}, "id": 3, "childNodes": [
        {"type": 2, "tagName": "input", "attributes": {"type": "password", "value": "s3cret!"}, "childNodes": [],
         "id": 10},
        {"type": 2, "tagName": "input", "attributes": {"name": "address", "value": "浦东新区世纪大道100号"},
         "childNodes": [], "id": 12},
        {"type": 3, "textContent": f"联系电话 {PHONE}", "id": 15},
    ]}
    return [{"type": 4, "timestamp": 1, "data": {"href": "https://x.gov.cn/h5?token=t", "width": 375, "height": 667}},
            {"type": 2, "timestamp": 2, "data": {"node": {"type": 0, "childNodes": [body], "id": 1}}}]


async def connected_call(user: Client, agent: Client, call_id: str) -> list[CallPeer]:
    peers = [CallPeer(user), CallPeer(agent)]
    await asyncio.gather(*(p.connect(call_id) for p in peers))
    for side in (user, agent):
        await side.wait_for("call_state", timeout=20, call_id=call_id, state="active")
    return peers


async def test_cobrowse_across_processes(mh: MultiHarness):
    user, agent, cid = await served(mh, "housing-fund", "housing-fund-withdrawal")
    req = await agent.call("cobrowse_request", {"conversation_id": cid, "mode": "dom"})
    assert req["ok"] and req["state"] == "requested", req
    sid = req["session_id"]
    assert await owner_bridge(mh, "cobrowse", cid) == 1
    ask = await user.wait_for("cobrowse_request", session_id=sid)
    assert ask["agent"]["id"] and ask["timeout_s"] > 0
    assert (await agent.call("cobrowse_request", {"conversation_id": cid}))["session_id"] == sid
    # the user's events reach bridge 0 and are forwarded to bridge 1, which answers the acks
    consent = await user.call("cobrowse_consent", {"conversation_id": cid, "session_id": sid, "accept": True})
    assert consent["ok"] and consent["state"] == "active", consent
    await agent.wait_for("cobrowse_state", session_id=sid, state="active")
    for seq in range(1, 6):
        events = snapshot() if seq == 1 else [{"type": 3, "timestamp": seq, "data": {"source": 5, "id": 12,
                                                                                      "text": f"徐汇区{seq}"}}]
        ack = await user.call("cobrowse_events", {"conversation_id": cid, "session_id": sid, "events": events})
        assert ack == {"ok": True, "seq": seq}, ack
    await agent.wait_for("cobrowse_events", session_id=sid, seq=5)
    relayed = agent.of("cobrowse_events", session_id=sid)
    assert [b["seq"] for b in relayed] == [1, 2, 3, 4, 5]
    first = json.dumps(relayed[0], ensure_ascii=False)
    assert "s3cret" not in first and PHONE not in first and "token" not in first and "世纪大道" in first
    # the agent's pointer, control and suggestions reach the user on the other process
    assert (await agent.call("cobrowse_pointer", {"conversation_id": cid, "x": 10, "y": 20, "kind": "click"}))["ok"]
    await user.wait_for("cobrowse_pointer", session_id=sid, kind="click")
    refused = await agent.call("cobrowse_control", {"conversation_id": cid, "action": "click", "node_id": 12})
    assert refused["error"]["code"] == "control_not_granted"
    assert (await agent.call("cobrowse_control_request", {"conversation_id": cid}))["control"] == "requested"
    await user.wait_for("cobrowse_control_request", session_id=sid)
    granted = await user.call("cobrowse_control_consent", {"conversation_id": cid, "accept": True})
    assert granted["ok"] and granted["control"] == "on", granted
    await agent.wait_for("cobrowse_state", session_id=sid, control="on")
    assert (await agent.call("cobrowse_control", {"conversation_id": cid, "action": "input", "node_id": 12,
                                                  "value": "黄浦区"}))["ok"]
    await user.wait_for("cobrowse_control", session_id=sid, action="input", value="黄浦区")
    sug = await agent.call("form_suggest", {"conversation_id": cid, "form_id": "f1",
                                            "suggestions": [{"name": "address", "value": "黄浦区"}]})
    got = await user.wait_for("form_suggest", suggestion_id=sug["suggestion_id"])
    reply = await user.call("form_suggest_reply", {"conversation_id": cid, "suggestion_id": got["suggestion_id"],
                                                   "accepted": ["address"]})
    assert reply["ok"], reply
    assert (await agent.wait_for("form_suggest_reply", session_id=sid))["accepted"] == ["address"]
    revoked = await user.call("cobrowse_control_consent", {"conversation_id": cid, "accept": False})
    assert revoked["control"] == "off"
    stop = await user.call("cobrowse_stop", {"conversation_id": cid})
    assert stop["ok"], stop
    for side in (user, agent):
        ended = await side.wait_for("cobrowse_state", session_id=sid, state="ended")
        assert ended["reason"] == "stopped" and ended["by"] == "user"
    assert await owner_bridge(mh, "cobrowse", cid) is None
    assert await timeline_count(mh, cid, "cobrowse_started") == 1
    assert await timeline_count(mh, cid, "cobrowse_ended") == 1
    assert await mh.store.cobrowse_events.count_documents({"session_id": sid, "kind": "events"}) == 5
    gone = await user.call("cobrowse_events", {"conversation_id": cid, "session_id": sid, "events": snapshot()})
    assert gone["error"]["code"] == "cobrowse_not_found"

    # a form shared by the user starts a session on bridge 0; the agent's events are forwarded there
    form = {"form_id": "f2", "title": "提取申请", "fields": [
        {"name": "name", "label": "姓名", "value": "张三"},
        {"name": "cert", "label": "身份证号", "type": "idcard", "value": ID}]}
    share = await user.call("form_share", {"conversation_id": cid, "form": form})
    assert share["ok"] and share["mode"] == "form" and share["state"] == "active", share
    assert await owner_bridge(mh, "cobrowse", cid) == 0
    shared = await agent.wait_for("form_share", session_id=share["session_id"])
    assert ID not in json.dumps(shared, ensure_ascii=False) and "张三" in json.dumps(shared, ensure_ascii=False)
    sug = await agent.call("form_suggest", {"conversation_id": cid, "form_id": "f2",
                                            "suggestions": [{"name": "name", "value": "张三丰"}]})
    assert sug["ok"], sug
    got = await user.wait_for("form_suggest", suggestion_id=sug["suggestion_id"])
    assert got["suggestions"][0]["value"] == "张三丰"
    assert (await user.call("form_suggest_reply", {"conversation_id": cid, "suggestion_id": got["suggestion_id"],
                                                   "accepted": []}))["ok"]
    assert (await agent.wait_for("form_suggest_reply", suggestion_id=got["suggestion_id"]))["rejected"] == ["name"]
    assert (await agent.call("cobrowse_stop", {"conversation_id": cid}))["ok"]
    ended = await user.wait_for("cobrowse_state", session_id=share["session_id"], state="ended")
    assert ended["by"] == "agent"
    assert await owner_bridge(mh, "cobrowse", cid) is None


async def test_call_across_processes(mh: MultiHarness):
    user, agent, cid = await served(mh, "taxation", "income-tax-settlement")
    invite = await user.call("call_invite", {"conversation_id": cid, "kind": "audio"})
    assert invite["ok"] and invite["state"] == "ringing", invite
    call_id = invite["call_id"]
    assert await owner_bridge(mh, "call", cid) == 0
    ring = await agent.wait_for("call_invite", call_id=call_id)
    assert ring["from"]["role"] == "user" and ring["recording"] is True
    busy = await agent.call("call_invite", {"conversation_id": cid, "kind": "video"})
    assert busy["error"]["code"] == "call_busy", busy
    accepted = await agent.call("call_accept", {"call_id": call_id})
    assert accepted["ok"] and accepted["state"] == "connecting", accepted
    await user.wait_for("call_state", call_id=call_id, state="connecting")
    peers = await connected_call(user, agent, call_id)
    try:
        await agent.wait_for("call_answer", call_id=call_id)  # emitted by bridge 0 to a socket of bridge 1
        assert (await agent.call("call_ice", {"call_id": call_id, "candidate": peers[1].candidate()}))["ok"]
        await asyncio.sleep(2.0)
        assert all(p.frames["audio"] > 40 for p in peers), [p.frames for p in peers]  # audio relayed both ways
        hangup = await agent.call("call_hangup", {"call_id": call_id})
        assert hangup["ok"], hangup
        for side in (user, agent):
            ended = await side.wait_for("call_state", call_id=call_id, state="ended")
            assert ended["reason"] == "hangup" and ended["duration_s"] >= 2.0, ended
    finally:
        for p in peers:
            await p.close()
    assert await owner_bridge(mh, "call", cid) is None
    for _ in range(60):  # the owner stores the recording after hang-up
        rec = await mh.store.media.find_one({"call_id": call_id, "type": "recording"})
        if rec:
            break
        await asyncio.sleep(0.25)
    assert rec and rec["conversation_id"] == cid, rec
    for event in ("call_invited", "call_accepted", "call_started", "call_ended"):
        assert await timeline_count(mh, cid, event) == 1, event

    # the agent calls from bridge 1 (its owner); the user declines from bridge 0
    second = await agent.call("call_invite", {"conversation_id": cid, "kind": "video"})
    assert await owner_bridge(mh, "call", cid) == 1
    await user.wait_for("call_invite", call_id=second["call_id"])
    assert (await user.call("call_decline", {"call_id": second["call_id"]}))["ok"]
    ended = await agent.wait_for("call_state", call_id=second["call_id"], state="ended")
    assert ended["reason"] == "declined"

    # a call held by bridge 0 ends when the agent closes the conversation on bridge 1
    third = await user.call("call_invite", {"conversation_id": cid, "kind": "audio"})
    assert await owner_bridge(mh, "call", cid) == 0
    assert (await agent.call("close", {"conversation_id": cid, "resolved": True}))["ok"]
    ended = await user.wait_for("call_state", call_id=third["call_id"], state="ended")
    assert ended["reason"] == "conversation_closed"
    assert await owner_bridge(mh, "call", cid) is None


async def test_stopped_owner_ends_its_sessions_at_once(mh: MultiHarness, media_system: System):
    user, agent, cid = await served(mh, "civil-affairs", "marriage-registration")
    req = await agent.call("cobrowse_request", {"conversation_id": cid})
    await user.wait_for("cobrowse_request", session_id=req["session_id"])
    assert (await user.call("cobrowse_consent", {"conversation_id": cid, "accept": True}))["state"] == "active"
    assert await owner_bridge(mh, "cobrowse", cid) == 1
    bridge = media_system.procs["bridge-1"]
    stopping = asyncio.create_task(asyncio.to_thread(bridge.stop))  # SIGTERM: a clean stop
    t0 = asyncio.get_running_loop().time()
    ended = await user.wait_for("cobrowse_state", timeout=3, session_id=req["session_id"], state="ended")
    assert ended["reason"] == "connection_lost", ended
    print(f"clean stop: session ended {asyncio.get_running_loop().time() - t0:.2f} s after SIGTERM")
    assert await owner_bridge(mh, "cobrowse", cid) is None
    await stopping
    media_system.start_bridge(1)
    port = media_system.cfg.bridge_ports[1]
    await asyncio.to_thread(wait_until, lambda: port_open(port), 60, "bridge 1 restart", media_system.procs["bridge-1"])


async def test_killed_owner_ends_its_sessions(mh: MultiHarness, media_system: System):
    """Runs last: bridge 1 stays down."""
    user, agent, cid = await served(mh, "education", "school-enrollment")
    invite = await agent.call("call_invite", {"conversation_id": cid, "kind": "audio"})
    call_id = invite["call_id"]
    await user.wait_for("call_invite", call_id=call_id)
    assert (await user.call("call_accept", {"call_id": call_id}))["ok"]
    peers = await connected_call(user, agent, call_id)
    req = await agent.call("cobrowse_request", {"conversation_id": cid})
    await user.wait_for("cobrowse_request", session_id=req["session_id"])
    assert (await user.call("cobrowse_consent", {"conversation_id": cid, "accept": True}))["state"] == "active"
    assert await owner_bridge(mh, "call", cid) == await owner_bridge(mh, "cobrowse", cid) == 1
    try:
        media_system.procs["bridge-1"].kill9()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.sleep(0.5)  # Redis notices the closed connection
        # until the owner counts as dead, events for its sessions are refused at once
        refused = await user.call("cobrowse_events", {"conversation_id": cid, "events": snapshot()})
        assert refused["error"]["code"] == "media_unavailable", refused
        assert loop.time() - t0 < 5
        call_end = await user.wait_for("call_state", timeout=20, call_id=call_id, state="ended")
        assert call_end["reason"] == "connection_lost", call_end
        co_end = await user.wait_for("cobrowse_state", timeout=20, session_id=req["session_id"], state="ended")
        assert co_end["reason"] == "connection_lost" and co_end["by"] == "system", co_end
        print(f"sessions of the killed owner ended {loop.time() - t0:.1f} s after the kill")
    finally:
        for p in peers:
            await p.close()
    assert await mh.store.media_sessions.count_documents({"conversation_id": cid}) == 0
    await asyncio.sleep(2.0)  # bridge 0 goes on sweeping: reported once (timeline entries follow the emits)
    assert len(user.of("call_state", call_id=call_id, state="ended")) == 1
    assert len(user.of("cobrowse_state", session_id=req["session_id"], state="ended")) == 1
    assert await timeline_count(mh, cid, "call_ended") == 1
    assert await timeline_count(mh, cid, "cobrowse_ended") == 1

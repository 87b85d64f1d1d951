"""The authorization matrix of every Socket.IO event of `/user` and `/agent` (lite system: one bridge, no Rasa).

Every registered event (desk and media, read from the bridge's handlers like the fuzz test does) is sent,
with a valid payload, about a conversation its caller does not own: a served conversation with a ringing
call and an active co-browse session. Callers: another citizen, an agent of another department, a
supervisor of another department; a trainer's token, the offline helpers' (window_staff, volunteer,
official) and no token cannot connect at all. Each event is
refused with an authorization code, or (events about the caller's own view: lists, presence) answers
without the victim's conversation; and nothing of the victim changes or reaches the victim's sockets.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from bridge.admin import create_agent
from bridge.domain.auth import OFFLINE_ROLES
from ops.system import System
from tests.integration.systems import MultiHarness
from tests.integration.test_fuzz_events import bases, registered_events
from tests.support import STAFF_PASSWORD, connect_refusal, start_conversation

# The refusals that say "not yours": forbidden, or the object is not found for this caller.
REFUSED = {"forbidden", "not_found", "call_not_found", "cobrowse_not_found"}
# Events about the caller's own view: they answer, but must not show the victim's conversation.
OWN_VIEW = {"conversations", "queues", "supervise", "presence", "notify:consent"}
DEP, MATTER = "housing-fund", "housing-fund-loan"


def media_payload(victim: dict[str, str]) -> dict[str, Any]:
    """One payload valid enough for every media handler, about the victim's conversation, call and session."""
    return {"conversation_id": victim["cid"], "call_id": victim["call_id"], "session_id": victim["session_id"],
            "kind": "audio", "mode": "dom", "accept": True, "sdp": "v=0\r\n", "type": "offer",
            "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0"},
            "x": 0.5, "y": 0.5, "action": "click", "node_id": 1, "value": "x",
            "suggestions": [{"name": "phone", "value": "1"}], "suggestion_id": "s1", "accepted": ["phone"],
            "form": {"form_id": "f", "fields": [{"name": "a", "value": "b"}]},
            "events": [{"type": 3, "data": {"source": 2, "type": 2, "id": 1}, "timestamp": 1}]}


def payload_for(ns: str, event: str, victim: dict[str, str]) -> dict[str, Any]:
    desk = bases(ns, victim["cid"])
    return desk[event] if event in desk else media_payload(victim)


async def _victim(h: MultiHarness) -> tuple[dict[str, str], list]:
    """A citizen served by an agent, with a ringing call and an active co-browse session."""
    await h.reset_department(DEP)
    user = await h.user()
    cid = await start_conversation(user, "公积金贷款", matter=MATTER)
    agent = await h.agent([DEP], capacity=5)
    await user.call("handoff", {"conversation_id": cid})
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    call = await agent.call("call_invite", {"conversation_id": cid, "kind": "audio"})
    assert call["ok"], call
    co = await agent.call("cobrowse_request", {"conversation_id": cid, "mode": "dom"})
    assert co["ok"], co
    ok = await user.call("cobrowse_consent", {"conversation_id": cid, "session_id": co["session_id"], "accept": True})
    assert ok["ok"], ok
    assert (await agent.call("cobrowse_control_request", {"conversation_id": cid}))["ok"]
    return {"cid": cid, "call_id": call["call_id"], "session_id": co["session_id"]}, [user, agent]


async def _snapshot(h: MultiHarness, cid: str) -> tuple:
    conv = await h.store.conversations.find_one({"_id": cid})
    counts = [await getattr(h.store, c).count_documents({"conversation_id": cid})
              for c in ("messages", "ratings", "timeline")]
    return conv["state"], conv.get("agent"), conv.get("department"), conv.get("matter"), *counts


async def test_every_event_refuses_callers_who_do_not_own_the_conversation(lite_system: System, lh: MultiHarness):
    os.environ.setdefault("BANGBAN_VAR", str(lite_system.cfg.var_dir))
    events = registered_events()
    victim, victim_clients = await _victim(lh)
    stranger = await lh.user()
    await start_conversation(stranger, "我自己的会话")
    callers = {"/user": {"user": stranger},
               "/agent": {"agent": await lh.agent(["taxation"], capacity=5),
                          "supervisor": await lh.agent(["education"], role="supervisor", online=False)}}
    trainer, _ = await lh.make_staff([], "trainer")
    trainer_token = await lh.staff_token(trainer)
    helper_tokens = []
    for role in OFFLINE_ROLES:  # offline helpers reach neither namespace
        username = f"{role[:3]}-{uuid.uuid4().hex[:8]}"
        await create_agent(lh.store, username, STAFF_PASSWORD, "线下帮办", [], role, hall="徐汇区行政服务中心",
                           window="3号窗口")
        helper_tokens.append(await lh.staff_token(username))
    for ns in ("/user", "/agent"):
        assert await connect_refusal(lh.base_url, ns, None) is not None, ns
        assert await connect_refusal(lh.base_url, ns, trainer_token) is not None, ns
        for token in helper_tokens:
            assert await connect_refusal(lh.base_url, ns, token) is not None, ns
    assert await connect_refusal(lh.base_url, "/agent", await lh.user_token()) is not None

    before = await _snapshot(lh, victim["cid"])
    seen = [len(c.events) for c in victim_clients]
    wrong, calls = [], 0
    for ns, who in callers.items():
        assert len(events[ns]) > 10, events[ns]
        for event in events[ns]:
            for role, client in who.items():
                ack = await client.call(event, payload_for(ns, event, victim), timeout=20)
                calls += 1
                code = (ack.get("error") or {}).get("code") if isinstance(ack, dict) else None
                if event in OWN_VIEW:
                    if victim["cid"] in json.dumps(ack, ensure_ascii=False):
                        wrong.append(f"{role} {ns} {event} shows the victim's conversation: {str(ack)[:160]}")
                elif not isinstance(ack, dict) or ack.get("ok") or code not in REFUSED:
                    wrong.append(f"{role} {ns} {event}: {str(ack)[:160]}")
                assert client.sio.connected, (role, event)
    assert not wrong, "\n".join(wrong)
    assert calls == len(events["/user"]) + 2 * len(events["/agent"])
    for covered in ("call_accept", "cobrowse_events", "form_share"):
        assert covered in events["/user"], covered
    for covered in ("call_hangup", "cobrowse_control", "force_handoff", "reassign", "watch"):
        assert covered in events["/agent"], covered
    # nothing of the victim changed, and nothing reached the victim's sockets
    assert await _snapshot(lh, victim["cid"]) == before
    leaked = [c.events[n:] for c, n in zip(victim_clients, seen, strict=True)]
    assert leaked == [[], []], leaked
    # the victim's call and session are still theirs
    ack = await victim_clients[0].call("cobrowse_stop", {"conversation_id": victim["cid"]})
    assert ack["ok"], ack
    ack = await victim_clients[1].call("call_hangup", {"call_id": victim["call_id"]})
    assert ack["ok"], ack

"""Escalation to 12345 through the outbox, banned phrases, ratings, first-response alerts."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from core import signatures
from tests.support import cmid, start_conversation


async def _served(h, dep: str, matter: str, text: str, reset: bool = True):
    if reset:  # (disabling the department's accounts also closes their open sockets)
        await h.reset_department(dep)
    agent = await h.agent([dep])
    user = await h.user()
    cid = await start_conversation(user, text, matter=matter)
    await user.call("handoff", {"conversation_id": cid})
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    return agent, user, cid


async def test_escalation_survives_hotline_outage_and_arrives_once(h, system):
    agent, user, cid = await _served(h, "housing-construction", "construction-permit", "施工许可证怎么办")
    async with aiohttp.ClientSession() as s:
        await s.post(f"{system.hotline_url}/admin/down")
        ack = await agent.call("escalate", {"conversation_id": cid, "summary": "涉及多部门，需热线协调"})
        assert ack["ok"] and ack["state"] == "escalated"
        ticket = ack["ticket"]["id"]
        await asyncio.sleep(2.5)
        order = await h.store.work_orders.find_one({"_id": ticket})
        assert order["delivery"]["state"] in ("pending", "sending") and order["delivery"]["attempts"] >= 1
        await s.post(f"{system.hotline_url}/admin/up")
        for _ in range(60):
            order = await h.store.work_orders.find_one({"_id": ticket})
            if order["delivery"]["state"] == "delivered":
                break
            await asyncio.sleep(0.5)
        assert order["delivery"]["state"] == "delivered"
        async with s.get(f"{system.hotline_url}/workorders") as r:
            got = await r.json()
    matching = [w for w in got["workorders"] if w["id"] == ticket]
    assert len(matching) == 1 and matching[0]["conversation_id"] == cid
    note = await user.wait_for("message", conversation_id=cid, pred=lambda d: d["meta"].get("event") == "escalated")
    assert ticket in note["text"]
    # the hotline's signed callback updates the conversation; an unsigned one is refused
    body = json.dumps({"ticket_id": ticket, "status": "resolved", "note": "已联系市民"}).encode()
    signed = signatures.signed_headers(system.secret("HOTLINE_SECRET"), body)
    status, _ = await h.http("POST", "/api/v1/hotline/callback", data=body, headers={
        **signed, "X-Bangban-Signature": "0" * 64, "Content-Type": "application/json"})
    assert status == 401
    status, _ = await h.http("POST", "/api/v1/hotline/callback", data=body,
                             headers={**signed, "Content-Type": "application/json"})
    assert status == 200
    upd = await user.wait_for("message", conversation_id=cid, pred=lambda d: d["meta"].get("event") == "ticket_update")
    assert "已办结" in upd["text"]


async def test_banned_phrase_is_refused_named_and_logged(h):
    agent, user, cid = await _served(h, "health", "public-venue-hygiene-permit", "卫生许可证怎么办")
    before = await h.store.messages.count_documents({"conversation_id": cid})
    ack = await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                       "text": "这个不归 我管，你自己看吧"})
    assert not ack["ok"] and ack["error"]["code"] == "forbidden_words"
    assert ack["error"]["phrase"] in ("不归我管", "你自己看")
    assert ack["error"]["phrase"] in ack["error"]["message"]
    assert await h.store.messages.count_documents({"conversation_id": cid}) == before
    logged = await h.store.audit.find_one({"kind": "forbidden_words", "conversation_id": cid})
    assert logged and logged["agent"] == agent.username
    ok = await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                      "text": "您好，我来帮您查一下"})
    assert ok["ok"]


async def test_close_resolved_then_rating_once_per_target(h):
    agent, user, cid = await _served(h, "medical-insurance", "medical-remote-filing", "异地就医怎么备案")
    await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                 "text": "您可以在随申办搜索异地就医备案办理"})
    ack = await agent.call("close", {"conversation_id": cid, "resolved": True})
    assert ack["ok"] and ack["state"] == "closed"
    closed = await user.wait_for("message", conversation_id=cid, pred=lambda d: d["meta"].get("event") == "closed")
    assert set(closed["meta"]["rate"]) == {"bot", "agent"}
    r1 = await user.call("rate", {"conversation_id": cid, "target": "agent", "score": 5, "resolved": True,
                                  "comment": "很耐心"})
    assert r1["ok"]
    r2 = await user.call("rate", {"conversation_id": cid, "target": "agent", "score": 1, "resolved": False})
    assert not r2["ok"] and r2["error"]["code"] == "already_rated"
    r3 = await user.call("rate", {"conversation_id": cid, "target": "bot", "score": 3, "resolved": False})
    assert r3["ok"]
    bad = await user.call("rate", {"conversation_id": cid, "target": "bot", "score": 9, "resolved": False})
    assert not bad["ok"] and bad["error"]["code"] == "invalid_payload"
    stored = await h.store.ratings.find({"conversation_id": cid}).to_list(None)
    assert sorted((r["target"], r["score"]) for r in stored) == [("agent", 5), ("bot", 3)]
    after = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                        "text": "还有一个问题"})
    assert not after["ok"] and after["error"]["code"] == "conversation_closed"


async def test_first_response_alert_reaches_agent_and_supervisor(h):
    dep = "science-technology"
    await h.reset_department(dep)
    sup = await h.agent([dep], role="supervisor", online=False)
    agent, user, cid = await _served(h, dep, "foreign-work-permit", "外国人工作许可怎么办", reset=False)
    alert = await agent.wait_for("alert", timeout=10, conversation_id=cid)
    assert alert["kind"] == "first_response_late"
    await sup.wait_for("alert", timeout=10, conversation_id=cid)
    await asyncio.sleep(1.5)
    assert len(agent.of("alert", conversation_id=cid)) == 1  # fires once

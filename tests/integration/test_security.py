"""Tokens, access control between agents, and bad input that must change nothing."""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest
import socketio

from tests.support import cmid, start_conversation


async def _refused(h, namespace: str, token) -> dict:
    client = socketio.AsyncClient(reconnection=False)
    errors: list = []
    client.on("connect_error", lambda data: errors.append(data), namespace=namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(h.base_url, namespaces=[namespace], auth={"token": token} if token else None,
                             transports=["websocket"], wait_timeout=5)
    return errors[0] if errors else {}


async def test_forged_expired_and_missing_tokens_are_refused(h, system):
    forged = jwt.encode({"sub": "x", "typ": "user", "exp": int(time.time()) + 60}, "not-the-secret",
                        algorithm="HS256")
    err = await _refused(h, "/user", forged)
    assert err.get("data", {}).get("code") == "unauthorized"
    expired = await h.user_token(ttl_s=1)
    await asyncio.sleep(2)
    err = await _refused(h, "/user", expired)
    assert err.get("data", {}).get("code") == "token_expired"
    err = await _refused(h, "/user", None)
    assert err.get("data", {}).get("code") == "unauthorized"
    none_alg = jwt.encode({"sub": "x", "typ": "staff", "role": "admin", "exp": int(time.time()) + 60}, "",
                          algorithm="none") if hasattr(jwt, "encode") else "x"
    err = await _refused(h, "/agent", none_alg)
    assert err.get("data", {}).get("code") == "unauthorized"
    user_tok = await h.user_token()
    err = await _refused(h, "/agent", user_tok)
    assert err.get("data", {}).get("code") in ("unauthorized", "forbidden")


async def test_an_agent_cannot_read_or_write_another_agents_conversation(h):
    dep = "planning-resources"
    await h.reset_department(dep)
    a1 = await h.agent([dep])
    user = await h.user()
    cid = await start_conversation(user, "二手房过户", matter="property-registration")
    await user.call("handoff", {"conversation_id": cid})
    await a1.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    a2 = await h.agent([dep])
    for event, payload in [
        ("sync", {"conversation_id": cid, "after_seq": 0}),
        ("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text", "text": "我来"}),
        ("close", {"conversation_id": cid, "resolved": True}),
        ("transfer", {"conversation_id": cid, "department": "triage", "note": ""}),
        ("escalate", {"conversation_id": cid, "summary": "x"}),
    ]:
        ack = await a2.call(event, payload)
        assert not ack["ok"] and ack["error"]["code"] == "forbidden", (event, ack)
        assert cid not in str(ack)
    status, _ = await h.http("GET", f"/api/v1/conversations/{cid}/transcript", token=a2.token)
    assert status == 403
    status, body = await h.http("GET", f"/api/v1/conversations/{cid}/transcript", token=a1.token)
    assert status == 200 and body["messages"][0]["seq"] == 1
    other_user = await h.user()
    ack = await other_user.call("sync", {"conversation_id": cid, "after_seq": 0})
    assert not ack["ok"] and ack["error"]["code"] == "forbidden"
    assert a2.of("message", conversation_id=cid) == []


@pytest.mark.parametrize("payload", [
    None, "text", 42, [], {}, {"client_msg_id": ""}, {"client_msg_id": "a", "type": "text"},
    {"client_msg_id": "a", "type": "text", "text": "   "}, {"client_msg_id": "a", "type": "video", "text": "x"},
    {"client_msg_id": "a", "type": "image"}, {"client_msg_id": "a" * 100, "type": "text", "text": "x"},
    {"client_msg_id": "a", "type": "text", "text": "x", "evil": True},
    {"conversation_id": "../../etc", "client_msg_id": "a", "type": "text", "text": "x"},
])
async def test_malformed_messages_are_refused_and_store_nothing(h, payload):
    user = await h.user()
    before = await h.store.messages.count_documents({})
    ack = await user.call("message", payload)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload" and ack["error"]["message"]
    assert await h.store.messages.count_documents({}) == before


async def test_too_long_text_and_floods_are_refused(h):
    user = await h.user()
    cid = await start_conversation(user, "你好")
    ack = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                      "text": "长" * 5000})
    assert not ack["ok"] and ack["error"]["code"] == "text_too_long"
    codes = []
    for _ in range(150):
        a = await user.call("sync", {"conversation_id": cid, "after_seq": 0})
        codes.append(a.get("error", {}).get("code") if not a["ok"] else "ok")
    assert "rate_limited" in codes and codes[0] == "ok"
    # nothing was stored by the refused events
    n = await h.store.messages.count_documents({"conversation_id": cid, "sender.role": "user"})
    assert n == 1


async def test_http_errors_are_json_with_chinese_messages(h):
    status, body = await h.http("POST", "/api/v1/agents/login", json={"username": "nobody", "password": "x"})
    assert status == 401 and body["error"]["code"] == "bad_credentials" and body["error"]["message"]
    status, body = await h.http("POST", "/api/v1/agents/login", data="not json")
    assert status == 400 and body["error"]["code"] == "invalid_payload"
    status, body = await h.http("GET", "/api/v1/kpis")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, body = await h.http("GET", "/api/v1/nope")
    assert status == 404 and body["error"]["code"] == "not_found"

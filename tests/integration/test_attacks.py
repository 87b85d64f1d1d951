"""Attacks through the real bridge: authorization matrix, forged and replayed tokens, upload bombs
and fake file types, event floods and oversized frames (lite system: one bridge, no Rasa)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import struct
import time
import zlib

import aiohttp
import jwt
import pytest
from PIL import Image

from tests.integration.systems import MultiHarness
from tests.support import cmid, connect_refusal, start_conversation

ROLES = ("anonymous", "user", "agent", "supervisor", "trainer", "admin")
DEP, MATTER = "medical-insurance", "medical-reimbursement"
# expected HTTP status per role: anonymous, user (owner of the conversation), agent (not serving it),
# supervisor (of its department), trainer, admin
HTTP_MATRIX = {
    "/api/v1/me": (401, 200, 200, 200, 200, 200),
    "/api/v1/catalogue": (200, 200, 200, 200, 200, 200),
    "/api/v1/canned": (401, 403, 200, 200, 200, 200),
    "/api/v1/conversations": (401, 403, 200, 200, 403, 200),
    "/api/v1/conversations/{cid}": (401, 403, 403, 200, 403, 200),
    "/api/v1/conversations/{cid}/transcript": (401, 200, 403, 200, 403, 200),
    "/api/v1/queues": (401, 403, 200, 200, 200, 200),
    "/api/v1/workorders": (401, 403, 200, 200, 403, 200),
    "/api/v1/ratings": (401, 403, 403, 200, 403, 200),
    "/api/v1/kpis": (401, 403, 403, 200, 403, 200),
    "/api/v1/alerts": (401, 403, 403, 200, 403, 200),
    "/api/v1/trainer/nlu": (401, 403, 403, 403, 200, 200),
    "/metrics": (200, 200, 200, 200, 200, 200),
}
# Socket.IO: which roles may connect to each namespace
CONNECT = {"/user": ("user",), "/agent": ("agent", "supervisor", "admin")}
SUPERVISOR_EVENTS = ("watch", "force_handoff", "reassign", "supervise")


async def _tokens(h: MultiHarness) -> tuple[dict[str, str | None], str]:
    """A token per role and a conversation of the user, queued in DEP (nobody serves it)."""
    await h.reset_department(DEP)
    tokens: dict[str, str | None] = {"anonymous": None, "user": await h.user_token()}
    for role, deps in (("agent", [DEP]), ("supervisor", [DEP]), ("trainer", []), ("admin", ["*"])):
        username, password = await h.make_staff(deps, role)
        tokens[role] = await h.staff_token(username, password)
    user = await h.connect("/user", tokens["user"])
    cid = await start_conversation(user, "医疗费报销", matter=MATTER)
    await user.call("handoff", {"conversation_id": cid})
    return tokens, cid


async def _refusal(h: MultiHarness, namespace: str, token: str | None) -> str | None:
    """None when the connection is accepted, else the refusal code."""
    return await connect_refusal(h.base_url, namespace, token)


async def test_authorization_matrix_http_and_socketio(lh: MultiHarness):
    tokens, cid = await _tokens(lh)
    wrong = []
    for path, expected in HTTP_MATRIX.items():
        for role, want in zip(ROLES, expected, strict=True):
            status, _ = await lh.http("GET", path.replace("{cid}", cid), token=tokens[role])
            if status != want:
                wrong.append(f"{role} GET {path}: {status}, expected {want}")
    for ns, allowed in CONNECT.items():
        for role in ROLES:
            code = await _refusal(lh, ns, tokens[role])
            want = None if role in allowed else ("unauthorized" if role == "anonymous" else "forbidden")
            if code != want:
                wrong.append(f"{role} connect {ns}: {code}, expected {want}")
    # supervisor-only events; a conversation of another user; an agent not serving it
    for role in ("agent", "supervisor", "admin"):
        client = await lh.connect("/agent", tokens[role])
        for event in SUPERVISOR_EVENTS:
            payload = {} if event == "supervise" else {"conversation_id": cid}
            if event == "reassign":
                payload |= {"department": "triage", "note": ""}
            if event == "force_handoff":
                payload = {"conversation_id": cid}
            ack = await client.call(event, payload)
            refused = not ack["ok"] and ack["error"]["code"] == "forbidden"
            if refused != (role == "agent"):
                wrong.append(f"{role} {event}: {ack}")
        if role == "agent":
            for event, payload in (("sync", {"conversation_id": cid, "after_seq": 0}),
                                   ("message", {"conversation_id": cid, "client_msg_id": cmid(), "text": "x"}),
                                   ("close", {"conversation_id": cid, "resolved": True})):
                ack = await client.call(event, payload)
                if ack["ok"] or ack["error"]["code"] != "forbidden":
                    wrong.append(f"agent {event} on a conversation not theirs: {ack}")
    stranger = await lh.user()
    for event, payload in (("sync", {"conversation_id": cid, "after_seq": 0}), ("end", {"conversation_id": cid}),
                           ("message", {"conversation_id": cid, "client_msg_id": cmid(), "text": "x"}),
                           ("rate", {"conversation_id": cid, "target": "bot", "score": 1, "resolved": False})):
        ack = await stranger.call(event, payload)
        if ack["ok"] or ack["error"]["code"] != "forbidden":
            wrong.append(f"another user {event}: {ack}")
    assert not wrong, "\n".join(wrong)


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


async def test_forged_tampered_and_expired_tokens_are_refused_everywhere(lh: MultiHarness):
    user_token = await lh.user_token()
    header, body, sig = user_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    now = int(time.time())
    forged = {
        "wrong secret": jwt.encode({"sub": "x", "typ": "user", "exp": now + 60}, "guess", algorithm="HS256"),
        "alg none": jwt.encode({"sub": "x", "typ": "staff", "role": "admin", "exp": now + 60}, None,
                               algorithm="none"),
        "claims raised to admin, old signature": ".".join(
            [header, _b64({**claims, "typ": "staff", "role": "admin", "deps": ["*"]}), sig]),
        "RS256 without a configured key": f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{body}.{sig}",
        "no exp": jwt.encode({"sub": "x", "typ": "user"}, "guess", algorithm="HS256"),
        "huge": "a" * 5000,
        "garbage": "not.a.token",
    }
    for name, token in forged.items():
        status, resp = await lh.http("GET", "/api/v1/me", token=token)
        assert status == 401 and resp["error"]["code"] == "unauthorized", (name, status, resp)
        for ns in ("/user", "/agent"):
            assert await _refusal(lh, ns, token) == "unauthorized", (name, ns)
    # replay of an expired token: refused with token_expired, on HTTP and Socket.IO
    expired = await lh.user_token(ttl_s=1)
    user = await lh.connect("/user", expired)
    cid = await start_conversation(user, "你好")
    await user.close()
    await asyncio.sleep(2.2)
    status, resp = await lh.http("GET", f"/api/v1/conversations/{cid}/transcript", token=expired)
    assert status == 401 and resp["error"]["code"] == "token_expired"
    assert await _refusal(lh, "/user", expired) == "token_expired"
    # a disabled staff account cannot connect with a token issued before
    username, password = await lh.make_staff([DEP])
    staff = await lh.staff_token(username, password)
    await lh.store.agents.update_one({"username": username}, {"$set": {"disabled": True}})
    assert await _refusal(lh, "/agent", staff) == "account_disabled"


def _png_bomb(side: int = 30000) -> bytes:
    """A tiny PNG whose header claims side×side pixels."""
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", side, side)
    crc = zlib.crc32(bytes(data[ihdr:ihdr + 17])) & 0xFFFFFFFF
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


async def _upload(lh: MultiHarness, token: str, cid: str, name: str, data: bytes) -> tuple[int, dict]:
    form = aiohttp.FormData()
    form.add_field("conversation_id", cid)
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    return await lh.http("POST", "/api/v1/media", token=token, data=form)


@pytest.mark.parametrize("name,data,status,code", [
    ("bomb.png", _png_bomb(), 422, "image_bomb"),
    ("photo.png", b"<html><script>alert(document.cookie)</script></html>", 415, "unsupported_type"),
    ("scan.pdf", b"#!/bin/sh\nrm -rf /\n", 415, "unsupported_type"),
    ("form.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n"
                 b"endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", 422, "pdf_active_content"),
    ("empty.png", b"", 400, None),
    ("huge.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (21 * 1024 * 1024), 413, "too_large"),
])
async def test_upload_bombs_and_fake_types_are_refused_through_the_bridge(lh: MultiHarness, name, data, status,
                                                                          code):
    token = await lh.user_token()
    user = await lh.connect("/user", token)
    cid = await start_conversation(user, "上传材料")
    got, body = await _upload(lh, token, cid, f"<img src=x onerror=alert(1)>{name}", data)
    assert got == status, (got, body)
    if code:
        assert body["error"]["code"] == code, body
    assert await lh.store.media.count_documents({"conversation_id": cid}) == 0


async def test_upload_into_someone_elses_conversation_is_refused(lh: MultiHarness):
    owner = await lh.user()
    cid = await start_conversation(owner, "我的会话")
    other = await lh.user_token()
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    status, body = await _upload(lh, other, cid, "x.png", buf.getvalue())
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await _upload(lh, owner.token, cid, "<b>x</b>.png", buf.getvalue())
    assert status == 201, body


async def test_event_flood_is_rate_limited_per_connection_and_others_are_unaffected(lh: MultiHarness):
    flooder = await lh.user()
    cid = await start_conversation(flooder, "你好")
    bystander = await lh.user()
    bcid = await start_conversation(bystander, "我也在")
    # the limiter runs before validation: 4,000 junk events cost as much as real ones (limit 2000 per 10 s)
    await asyncio.gather(*(flooder.emit("message", {"junk": i}) for i in range(4000)))
    ack = await flooder.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "text": "刷屏"})
    assert not ack["ok"] and ack["error"]["code"] == "rate_limited"
    assert await lh.store.messages.count_documents({"conversation_id": cid, "text": "刷屏"}) == 0
    ok = await bystander.call("message", {"conversation_id": bcid, "client_msg_id": cmid(), "text": "正常发送"})
    assert ok["ok"]
    assert flooder.sio.connected


async def test_oversized_frame_drops_only_that_connection(lh: MultiHarness):
    big = await lh.user()
    calm = await lh.user()
    cid = await start_conversation(calm, "你好")
    await big.emit("message", {"client_msg_id": cmid(), "text": "长" * 700_000})  # > 1 MiB frame
    for _ in range(50):
        if not big.sio.connected:
            break
        await asyncio.sleep(0.1)
    assert not big.sio.connected
    ack = await calm.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "text": "还好"})
    assert ack["ok"]
    status, _ = await lh.http("GET", "/api/v1/catalogue")
    assert status == 200

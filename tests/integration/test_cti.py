"""The phone line through signed CTI events (lite system: one bridge, no Rasa; docs/cti.md)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import aiohttp

from core import signatures
from core.workcal import SHANGHAI
from tests.integration.systems import MultiHarness
from tests.support import start_conversation

URL = "/api/v1/cti/events"
LINE, OPEN_IVR, OPEN_DEPARTMENT = "12345", "9", "hotline-12345"  # 12345 answers around the clock


def event(kind: str, call_id: str, **extra) -> dict:
    return {"event": kind, "call_id": call_id, "line": LINE, "ivr": OPEN_IVR, "caller": "13912345678",
            "at": dt.datetime.now(dt.UTC).isoformat(), **extra}


async def send(lh: MultiHarness, ev: dict, headers: dict | None = None, body: bytes | None = None):
    body = body if body is not None else json.dumps(ev, ensure_ascii=False).encode()
    headers = headers if headers is not None else signatures.signed_headers(lh.system.secret("CTI_SECRET"), body)
    return await lh.http("POST", URL, data=body, headers={**headers, "Content-Type": "application/json"})


def new_call() -> str:
    return f"T{uuid.uuid4().hex[:12]}"


async def test_unsigned_replayed_and_stale_events_are_refused_without_change(lh: MultiHarness):
    call = new_call()
    body = json.dumps(event("ringing", call)).encode()
    secret = lh.system.secret("CTI_SECRET")
    status, data = await send(lh, {}, headers={}, body=body)
    assert status == 401 and data["error"]["code"] == "bad_signature"
    forged = {**signatures.signed_headers(secret, body), signatures.SIGNATURE: "0" * 64}
    assert (await send(lh, {}, headers=forged, body=body))[0] == 401
    stale = signatures.signed_headers(secret, body, ts=int(dt.datetime.now().timestamp()) - 3600)
    status, data = await send(lh, {}, headers=stale, body=body)
    assert status == 401 and data["error"]["code"] == "stale_event"
    assert await lh.store.phone_calls.count_documents({"_id": call}) == 0
    headers = signatures.signed_headers(secret, body)
    status, data = await send(lh, {}, headers=headers, body=body)
    assert status == 200 and data["accepted"] and data["department"] == OPEN_DEPARTMENT
    status, data = await send(lh, {}, headers=headers, body=body)  # the same nonce again
    assert status == 409 and data["error"]["code"] == "replayed_event"
    assert await lh.store.conversations.count_documents({"phone.call_id": call}) == 1


async def test_a_call_rings_is_answered_noted_and_closed_with_an_outcome(lh: MultiHarness):
    number = f"139{uuid.uuid4().int % 10**8:08d}"
    status, tok = await lh.http("POST", "/api/v1/dev/user-token",
                                json={"sub": f"u-{uuid.uuid4().hex[:8]}", "name": "张三", "phone": number})
    assert status == 200
    citizen = await lh.connect("/user", tok["token"])
    earlier = await start_conversation(citizen, "公积金提取要什么材料", matter="housing-fund-withdrawal")
    agent = await lh.agent([OPEN_DEPARTMENT])
    other, _ = await lh.make_staff([OPEN_DEPARTMENT])
    call = new_call()
    status, rung = await send(lh, event("ringing", call, caller=f"+86 {number}"))
    assert status == 200 and rung["accepted"] and not rung["duplicate"], rung
    cid = rung["conversation_id"]
    conv = await lh.store.conversations.find_one({"_id": cid})
    assert conv["channel"] == "phone" and conv["state"] == "queued" and conv["department"] == OPEN_DEPARTMENT
    assert number not in json.dumps(conv["user"], ensure_ascii=False)  # masked in what lists show
    status, answered = await send(lh, event("answered", call, staff_id=agent.username))
    assert status == 200 and answered["agent"] == agent.username
    assigned = await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    assert assigned["conversation"]["channel"] == "phone"
    assert assigned["conversation"]["phone"]["caller_masked"] == f"{number[:3]}****{number[-4:]}"
    status, again = await send(lh, event("answered", call, staff_id=other))  # a retry: changes nothing
    assert status == 200 and again["duplicate"] and again["agent"] == agent.username
    token = await lh.staff_token(agent.username)
    status, card = await lh.http("GET", f"/api/v1/phone/calls/{cid}", token=token)
    assert status == 200 and card["caller_full"] and card["call"]["caller"] == number
    assert card["call"]["state"] == "talking" and card["verified_citizen"]
    assert [h["id"] for h in card["history"]] == [earlier]
    sup, _ = await lh.make_staff([OPEN_DEPARTMENT], role="supervisor")
    status, seen = await lh.http("GET", f"/api/v1/phone/calls/{cid}", token=await lh.staff_token(sup))
    assert status == 200 and not seen["caller_full"] and number not in json.dumps(seen)
    note = {"kind": "kb", "text": "提取公积金需要身份证和银行卡。", "article_id": "a1", "title": "公积金提取材料"}
    status, added = await lh.http("POST", f"/api/v1/phone/calls/{cid}/notes", token=token, json=note)
    assert status == 201 and added["note"]["kind"] == "kb"
    status, _ = await lh.http("POST", f"/api/v1/phone/calls/{cid}/notes", token=await lh.staff_token(other),
                              json=note)
    assert status == 403
    refused = await agent.call("handback", {"conversation_id": cid})
    assert not refused["ok"] and refused["error"]["code"] == "invalid_state"
    status, ended = await send(lh, event("ended", call, reason="caller_hangup"))
    assert status == 200 and not ended["abandoned"] and ended["talk_s"] >= 0
    conv = await lh.store.conversations.find_one({"_id": cid})
    assert conv["state"] == "with_agent" and conv["phone"]["state"] == "ended"  # the summary is still to write
    assert [n["kind"] for n in conv["phone_notes"]] == ["kb"]
    ack = await agent.call("close", {"conversation_id": cid, "resolved": True})
    assert ack["ok"], ack
    status, kpis = await lh.http("GET", f"/api/v1/kpis?channel=phone&department={OPEN_DEPARTMENT}",
                                 token=await lh.staff_token(sup))
    assert status == 200 and kpis["channels"]["phone"]["answered"] >= 1
    assert kpis["channels"]["phone"]["resolved"] >= 1
    logged = (lh.system.logs / "bridge-0.log").read_text(encoding="utf-8")
    assert call in logged and number not in logged  # the call is logged, the caller number never


async def test_an_unanswered_call_closes_as_abandoned_and_transfers_move_it(lh: MultiHarness):
    call = new_call()
    assert (await send(lh, event("ringing", call)))[0] == 200
    status, ended = await send(lh, event("ended", call))
    assert status == 200 and ended["abandoned"]
    conv = await lh.store.conversations.find_one({"phone.call_id": call})
    assert conv["state"] == "closed" and conv["phone"]["abandoned"]
    first = await lh.agent([OPEN_DEPARTMENT])
    second = await lh.agent(["triage"])
    call = new_call()
    await send(lh, event("ringing", call))
    await send(lh, event("answered", call, staff_id=first.username))
    status, moved = await send(lh, event("transferred", call, staff_id=second.username))
    assert status == 200 and moved["agent"] == second.username
    await first.wait_for("unassigned", pred=lambda d: d["conversation_id"] == moved["conversation_id"])
    status, queued = await send(lh, event("transferred", call, seq=1, to_department="triage"))
    assert status == 200 and queued["department"] == "triage"
    conv = await lh.store.conversations.find_one({"phone.call_id": call})
    assert conv["state"] == "queued" and conv["phone"]["transfers"] == 2  # waits for the next `answered`


async def test_out_of_hours_unknown_lines_and_unknown_calls_get_clear_answers(lh: MultiHarness):
    sunday_night = dt.datetime(2026, 11, 29, 3, 0, tzinfo=SHANGHAI).isoformat()
    call = new_call()
    status, closed = await send(lh, {**event("ringing", call, at=sunday_night), "line": "021-12329", "ivr": None})
    assert status == 200 and not closed["accepted"] and closed["out_of_hours"]
    assert "市公积金管理中心" in closed["announcement"] and closed["next_open"].startswith("2026-11-30T08:30")
    assert await lh.store.phone_calls.count_documents({"_id": call}) == 0
    status, data = await send(lh, {**event("ringing", new_call()), "line": "021-00000"})
    assert status == 422 and data["error"]["code"] == "unknown_line"
    status, data = await send(lh, event("answered", new_call(), staff_id="nobody"))
    assert status == 404 and data["error"]["code"] == "unknown_call"
    status, data = await send(lh, {"event": "ringing"})
    assert status == 400


async def test_the_help_hours_calendar_is_served_to_staff(lh: MultiHarness):
    agent, _ = await lh.make_staff(["housing-fund"])
    status, data = await lh.http("GET", "/api/v1/help-hours", token=await lh.staff_token(agent))
    assert status == 200 and set(data["calendar"]) == {"chat", "phone", "hall"}
    assert data["calendar"]["phone"]["triage"]["every_day"] and data["open_now"]["phone"]["triage"]


async def test_the_call_centre_stand_in_places_a_signed_call(lh: MultiHarness):
    agent = await lh.agent([OPEN_DEPARTMENT])
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{lh.system.cti_url}/") as r:
            assert r.status == 200 and "呼叫中心模拟器" in await r.text()
        spec = {"line": LINE, "ivr": OPEN_IVR, "caller": "13700001111", "staff_id": agent.username,
                "ring_s": 0.2, "talk_s": 0.5}
        async with s.post(f"{lh.system.cti_url}/calls", json=spec) as r:
            placed = await r.json()
    assert placed["status"] == 200 and placed["answer"]["accepted"], placed
    cid = placed["answer"]["conversation_id"]
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    await agent.wait_for("phone_call", pred=lambda d: d["conversation_id"] == cid and d["call"]["state"] == "ended")


async def test_a_call_escalates_to_12345_with_the_number_masked_and_erasure_takes_the_calls(lh: MultiHarness):
    number = f"137{uuid.uuid4().int % 10**8:08d}"
    sub = f"u-{uuid.uuid4().hex[:8]}"
    status, tok = await lh.http("POST", "/api/v1/dev/user-token", json={"sub": sub, "phone": number})
    await lh.connect("/user", tok["token"])
    agent = await lh.agent([OPEN_DEPARTMENT])
    call = new_call()
    _, rung = await send(lh, event("ringing", call, caller=number))
    cid = rung["conversation_id"]
    await send(lh, event("answered", call, staff_id=agent.username))
    await agent.wait_for("phone_call", pred=lambda d: d["conversation_id"] == cid
                         and d["conversation"]["first_response_at"] is not None)
    ack = await agent.call("escalate", {"conversation_id": cid, "summary": f"来电人{number}反映公积金问题"})
    assert ack["ok"] and ack["state"] == "escalated", ack
    order = await lh.store.work_orders.find_one({"_id": ack["ticket"]["id"]})
    assert number not in json.dumps(order, ensure_ascii=False, default=str) and order["channel"] == "phone"
    admin, _ = await lh.make_staff([], role="admin")
    assert await lh.store.phone_links.count_documents({"user_id": sub}) == 1
    status, erased = await lh.http("POST", f"/api/v1/admin/users/{sub}/erase", token=await lh.staff_token(admin))
    assert status == 200, erased
    assert await lh.store.phone_links.count_documents({"user_id": sub}) == 0
    assert await lh.store.conversations.count_documents({"_id": cid}) == 0  # the call from their number too

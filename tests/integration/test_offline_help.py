"""Offline helpers (window_staff, volunteer, official) against a running system: accounts by the admin command
line and API, problems with photos into the ledger, the ledger's flow and deadline, and what helpers cannot read."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import subprocess
import sys
import uuid

import aiohttp

from core.settings import ROOT
from core.workcal import SHANGHAI, add_workdays
from ops.system import System
from tests.integration.systems import MultiHarness
from tests.support import STAFF_PASSWORD, connect_refusal, start_conversation
from tests.unit.media_samples import png_bytes

MATTER, DEP = "residence-permit", "public-security"


def admin_cli(system: System, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **system.env()}
    return subprocess.run([sys.executable, "-m", "bridge.admin", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def photo_form(conversation_id: str = "own") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("conversation_id", conversation_id)
    form.add_field("file", io.BytesIO(png_bytes((80, 60))), filename="现场.png", content_type="image/png")
    return form


async def status_of(h: MultiHarness, path: str, token: str) -> int:
    """The status of a GET whose body may be binary (a file)."""
    async with aiohttp.ClientSession() as s, s.get(h.base_url + path,
                                                   headers={"Authorization": f"Bearer {token}"}) as r:
        return r.status


async def new_helper(h: MultiHarness, admin_token: str, role: str, hall: str, window: str = "") -> str:
    """A helper created through the staff API; their token."""
    username = f"{role[:3]}-{uuid.uuid4().hex[:8]}"
    status, body = await h.http("POST", "/api/v1/agents", token=admin_token, json={
        "username": username, "password": STAFF_PASSWORD, "name": "王帮办", "role": role, "hall": hall,
        "window": window})
    assert status == 201, body
    assert body["agent"]["role"] == role and body["agent"]["hall"] == hall and body["agent"]["departments"] == []
    return await h.staff_token(username)


async def test_admin_command_line_and_api_create_offline_helpers(lite_system: System, lh: MultiHarness):
    name = f"win-{uuid.uuid4().hex[:6]}"
    done = admin_cli(lite_system, "create-agent", "--username", name, "--password", STAFF_PASSWORD,
                     "--role", "window_staff", "--hall", "徐汇区行政服务中心", "--window", "3号窗口")
    assert done.returncode == 0 and "徐汇区行政服务中心 3号窗口" in done.stdout, done.stderr
    refused = admin_cli(lite_system, "create-agent", "--username", name + "x", "--password", STAFF_PASSWORD,
                        "--role", "window_staff", "--hall", "徐汇区行政服务中心")
    assert refused.returncode == 2 and "窗口帮办须填写" in refused.stderr
    token = await lh.staff_token(name)
    status, me = await lh.http("GET", "/api/v1/me", token=token)
    assert status == 200 and (me["role"], me["hall"], me["window"]) == ("window_staff", "徐汇区行政服务中心", "3号窗口")

    admin_name, _ = await lh.make_staff([], "admin")
    admin_token = await lh.staff_token(admin_name)
    sup_name, _ = await lh.make_staff([DEP], "supervisor")
    body = {"username": f"vol-{uuid.uuid4().hex[:6]}", "password": STAFF_PASSWORD, "role": "volunteer"}
    status, _ = await lh.http("POST", "/api/v1/agents", token=await lh.staff_token(sup_name), json=body)
    assert status == 403
    status, err = await lh.http("POST", "/api/v1/agents", token=admin_token, json={**body, "departments": [DEP]})
    assert status == 422 and "不属于部门" in err["error"]["message"]
    status, err = await lh.http("POST", "/api/v1/agents", token=admin_token, json={**body, "role": "agent",
                                                                                  "hall": "某中心"})
    assert status == 422
    status, created = await lh.http("POST", "/api/v1/agents", token=admin_token, json=body)
    assert status == 201 and created["agent"]["role"] == "volunteer"
    status, _ = await lh.http("POST", "/api/v1/agents", token=admin_token, json=body)
    assert status == 409
    status, moved = await lh.http("PATCH", f"/api/v1/agents/{body['username']}", token=admin_token,
                                  json={"role": "official", "hall": "浦东新区市民中心"})
    assert status == 200 and (moved["agent"]["role"], moved["agent"]["hall"]) == ("official", "浦东新区市民中心")


async def test_a_volunteer_logs_a_problem_with_a_photo_and_supervisors_follow_it(lite_system: System,
                                                                                  lh: MultiHarness):
    admin_name, _ = await lh.make_staff([], "admin")
    admin_token = await lh.staff_token(admin_name)
    hall = f"测试服务中心{uuid.uuid4().hex[:4]}"
    vol = await new_helper(lh, admin_token, "volunteer", hall)
    other = await new_helper(lh, admin_token, "volunteer", hall)
    status, found = await lh.http("GET", "/api/v1/kb/search?q=居住证办理", token=vol)
    assert status == 200 and found["results"]

    status, photo = await lh.http("POST", "/api/v1/media", token=vol, data=photo_form())
    assert status == 201 and photo["type"] == "image", photo
    status, _ = await lh.http("POST", "/api/v1/offline-help/problems", token=other, json={
        "problem": "借用别人的照片", "matter": MATTER, "photos": [photo["media_id"]]})
    assert status == 422
    status, body = await lh.http("POST", "/api/v1/offline-help/problems", token=vol, json={
        "problem": "窗口要求提供纸质居住证明，网上指南未写明，群众电话13900001111", "matter": MATTER,
        "window": "5号窗口",
        "photos": [photo["media_id"]], "consent": True, "contact": "13812345678"})
    assert status == 201, body
    entry = body["entry"]
    today = dt.datetime.now(SHANGHAI).date()
    assert entry["source"] == "offline" and entry["status"] == "open" and entry["department"] == DEP
    assert entry["found_by"]["role"] == "volunteer" and entry["found_by"]["hall"] == hall
    assert (entry["hall"], entry["window"]) == (hall, "5号窗口")
    assert entry["deadline"] == add_workdays(today, 10).isoformat() and entry["overdue"] is False
    assert entry["citizen"] == {"consent": True, "contact": "138****5678"}
    assert "13900001111" not in entry["problem"] and "139****1111" in entry["problem"]
    eid = entry["id"]

    # the volunteer follows their own item; the other volunteer sees nothing of it
    status, mine = await lh.http("GET", "/api/v1/offline-help/problems", token=vol)
    assert [e["id"] for e in mine["entries"]] == [eid]
    status, theirs = await lh.http("GET", "/api/v1/offline-help/problems", token=other)
    assert status == 200 and theirs["entries"] == []
    assert (await lh.http("GET", f"/api/v1/offline-help/problems/{eid}", token=other))[0] == 404
    for path in (f"/api/v1/media/{photo['media_id']}", f"/api/v1/media/{photo['media_id']}/link"):
        assert await status_of(lh, path, other) == 404
        assert await status_of(lh, path, vol) == 200

    # supervisors of the matter's department see it: summary by hall and matter, the entry, the photo
    sup_name, _ = await lh.make_staff([DEP], "supervisor")
    sup = await lh.staff_token(sup_name)
    status, summary = await lh.http("GET", f"/api/v1/offline-help/summary?department={DEP}", token=sup)
    assert status == 200
    row = next(r for r in summary["by_hall"] if r["hall"] == hall)
    assert row == {"hall": hall, "total": 1, "open": 1, "overdue": 0}
    assert any(r["matter"] == MATTER and r["open"] >= 1 for r in summary["by_matter"])
    assert eid in [i["id"] for i in summary["items"]]
    status, full = await lh.http("GET", f"/api/v1/ledger/{eid}", token=sup)
    assert status == 200 and full["entry"]["citizen"]["contact"] == "13812345678"
    assert await lh.store.audit.find_one({"what": "ledger_contact", "target": eid})
    status, listed = await lh.http("GET", "/api/v1/ledger?source=offline", token=sup)
    assert next(e for e in listed["entries"] if e["id"] == eid)["citizen"]["contact"] == "138****5678"
    assert (await lh.http("GET", f"/api/v1/media/{photo['media_id']}/link", token=sup))[0] == 200
    elsewhere, _ = await lh.make_staff(["taxation"], "supervisor")
    elsewhere_token = await lh.staff_token(elsewhere)
    status, summary = await lh.http("GET", "/api/v1/offline-help/summary", token=elsewhere_token)
    assert all(r["hall"] != hall for r in summary["by_hall"])
    assert await status_of(lh, f"/api/v1/media/{photo['media_id']}", elsewhere_token) == 404

    # past its deadline it is overdue
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    await lh.store.ledger.update_one({"_id": eid}, {"$set": {"deadline": yesterday}})
    status, summary = await lh.http("GET", f"/api/v1/offline-help/summary?department={DEP}", token=sup)
    assert next(r for r in summary["by_hall"] if r["hall"] == hall)["overdue"] == 1
    assert next(i for i in summary["items"] if i["id"] == eid)["overdue"] is True

    # the ledger's flow: 整改, 销号, 回头看 finds it again; the volunteer follows every step
    steps = [{"status": "rectifying", "plan": "更新办事指南，告知窗口", "owner": "市公安局人口办",
              "deadline": add_workdays(today, 5).isoformat()},
             {"status": "closed", "result": "指南已更新", "review_date": add_workdays(today, 20).isoformat()},
             {"status": "rectifying", "review_note": "回头看：窗口仍要求纸质证明", "note": "回头看"}]
    for step in steps:
        status, body = await lh.http("PATCH", f"/api/v1/ledger/{eid}", token=sup, json=step)
        assert status == 200 and body["entry"]["status"] == step["status"], body
    status, followed = await lh.http("GET", f"/api/v1/offline-help/problems/{eid}", token=vol)
    assert status == 200 and followed["entry"]["status"] == "rectifying"
    assert [s["status"] for s in followed["entry"]["history"]] == ["open", "rectifying", "closed", "rectifying"]
    assert followed["entry"]["review_note"] == "回头看：窗口仍要求纸质证明" and followed["entry"]["overdue"] is False

    # a disabled helper's token stops working within seconds (the staff directory's cache)
    vol_name = (await lh.http("GET", "/api/v1/me", token=vol))[1]["username"]
    status, _ = await lh.http("PATCH", f"/api/v1/agents/{vol_name}", token=admin_token, json={"disabled": True})
    assert status == 200
    for _ in range(40):
        status, body = await lh.http("GET", "/api/v1/offline-help/problems", token=vol)
        if status == 403:
            break
        await asyncio.sleep(0.5)
    assert status == 403 and body["error"]["code"] == "account_disabled"


async def test_helpers_cannot_read_conversations_kpis_or_the_desk(lite_system: System, lh: MultiHarness):
    admin_name, _ = await lh.make_staff([], "admin")
    admin_token = await lh.staff_token(admin_name)
    user = await lh.user()
    cid = await start_conversation(user, "居住证怎么办")
    status, own = await lh.http("POST", "/api/v1/media", token=user.token, data=photo_form(cid))
    assert status == 201, own
    for role, window in (("volunteer", ""), ("window_staff", "1号窗口"), ("official", "")):
        token = await new_helper(lh, admin_token, role, "静安区行政服务中心", window)
        for path in ("/api/v1/conversations", f"/api/v1/conversations/{cid}", "/api/v1/kpis", "/api/v1/ledger",
                     "/api/v1/queues", "/api/v1/offline-help/summary", "/api/v1/trainer/unanswered",
                     f"/api/v1/conversations/{cid}/transcript", "/api/v1/ledger/export"):
            status, _ = await lh.http("GET", path, token=token)
            assert status == 403, (role, path, status)
        assert await status_of(lh, f"/api/v1/media/{own['media_id']}", token) == 404
        assert (await lh.http("POST", "/api/v1/media", token=token, data=photo_form(cid)))[0] == 403
        for ns in ("/agent", "/user"):
            assert await connect_refusal(lh.base_url, ns, token) is not None, (role, ns)

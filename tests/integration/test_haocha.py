"""好差评 through the real system: every rating reported once, signed, to the stand-in; a bad one opens a
rectification item (15 working days) that alerts when overdue, and closing it informs the citizen."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import aiohttp

from core import signatures
from core.clock import now
from core.workcal import SHANGHAI, add_workdays
from tests.support import cmid, start_conversation

DEP, MATTER = "civil-affairs", "marriage-registration"


async def _get(url: str) -> dict:
    async with aiohttp.ClientSession() as s, s.get(url) as r:
        assert r.status == 200
        return await r.json()


async def _until(check, timeout_s: float = 20):
    for _ in range(int(timeout_s / 0.2)):
        got = await check()
        if got:
            return got
        await asyncio.sleep(0.2)
    return await check()


async def _rated(h):
    """A served conversation whose citizen rated the agent 非常不满意 and the bot 满意, then left."""
    await h.reset_department(DEP)
    agent = await h.agent([DEP])
    sub = f"u-{uuid.uuid4().hex[:10]}"
    user = await h.user(sub)
    cid = await start_conversation(user, "结婚登记要带什么", matter=MATTER)
    assert (await user.call("handoff", {"conversation_id": cid}))["ok"]
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text", "text": "请看指南"})
    assert (await agent.call("close", {"conversation_id": cid, "resolved": False}))["ok"]
    bad = await user.call("rate", {"conversation_id": cid, "target": "agent", "score": 1, "resolved": False,
                                   "comment": "态度很差，请回电13812345678"})
    good = await user.call("rate", {"conversation_id": cid, "target": "bot", "score": 4, "resolved": False})
    assert bad["ok"] and good["ok"]
    await user.close()
    return cid, sub


async def test_ratings_reported_once_and_a_bad_one_rectified_to_the_citizen(h, system):
    cid, sub = await _rated(h)

    async def reports():
        got = await _get(f"{system.haocha_url}/ratings")
        mine = [r for r in got["ratings"] if r["report"]["conversation_id"] == cid]
        return (mine, got["posts"]) if len(mine) == 2 else None

    mine, posts = await _until(reports)
    by_target = {r["report"]["target"]: r["report"] for r in mine}
    agent_report = by_target["agent"]
    assert agent_report["level"] == 1 and agent_report["level_name"] == "非常不满意"
    assert by_target["bot"]["level"] == 4 and by_target["bot"]["level_name"] == "满意"
    assert agent_report["channel"] == "app" and agent_report["matter_code"] == MATTER
    assert agent_report["department"] == DEP and agent_report["tags"] == ["人工帮办", "问题未解决"]
    assert "13812345678" not in agent_report["text"] and "138****5678" in agent_report["text"]
    assert agent_report["rated_at"] and agent_report["work_id"] is None
    assert all(posts[r["report"]["report_id"]] == 1 for r in mine)  # once each
    status, _ = await _post(f"{system.haocha_url}/ratings", b"{}", signatures.signed_headers("wrong", b"{}"))
    assert status == 401

    sup, _ = await h.make_staff([DEP], "supervisor")
    token = await h.staff_token(sup)
    other = await h.staff_token((await h.make_staff(["taxation"], "supervisor"))[0])
    status, body = await h.http("GET", "/api/v1/rectifications", token=token)
    assert status == 200
    item = next(i for i in body["rectifications"] if i["conversation_id"] == cid)
    assert item["level_name"] == "非常不满意" and item["target"] == "agent" and item["status"] == "open"
    assert item["deadline"] == add_workdays(now().astimezone(SHANGHAI).date(), 15).isoformat()
    assert not [i for i in body["rectifications"] if i["conversation_id"] == cid and i["target"] == "bot"]
    status, body = await h.http("GET", "/api/v1/rectifications", token=other)
    assert status == 200 and all(i["conversation_id"] != cid for i in body["rectifications"])
    status, _ = await h.http("POST", f"/api/v1/rectifications/{item['id']}/claim", token=other)
    assert status == 404
    status, _ = await h.http("GET", "/api/v1/rectifications", token=await h.staff_token(
        (await h.make_staff([DEP], "agent"))[0]))
    assert status == 403

    # overdue: the periodic job alerts the department's supervisors once; the list and the KPI show it
    yesterday = (now().astimezone(SHANGHAI).date() - dt.timedelta(days=1)).isoformat()
    await h.store.rectifications.update_one({"_id": item["id"]}, {"$set": {"deadline": yesterday}})
    alert = await _until(lambda: h.store.alerts.find_one({"kind": "rectification_overdue",
                                                           "rectification_id": item["id"]}))
    assert alert and alert["department"] == DEP
    status, body = await h.http("GET", "/api/v1/rectifications?overdue=1", token=token)
    assert [i["id"] for i in body["rectifications"] if i["id"] == item["id"]] and body["overdue"] >= 1
    status, kpis = await h.http("GET", f"/api/v1/kpis?department={DEP}", token=token)
    assert status == 200 and kpis["rectifications_overdue"] >= 1

    # claim, record 核实情况 and 整改结果, close: the citizen is told through the notification outbox
    rid = item["id"]
    status, _ = await h.http("POST", f"/api/v1/rectifications/{rid}/close", token=token)
    assert status == 409  # not claimed
    status, body = await h.http("POST", f"/api/v1/rectifications/{rid}/claim", token=token)
    assert status == 200 and body["rectification"]["status"] == "claimed"
    status, _ = await h.http("POST", f"/api/v1/rectifications/{rid}/close", token=token)
    assert status == 400  # nothing recorded yet
    records = {"verification": "经核实，帮办人员答复过简。", "result": "已约谈并补充办事指南链接。"}
    status, body = await h.http("PUT", f"/api/v1/rectifications/{rid}", token=token, json=records)
    assert status == 200 and body["rectification"]["result"] == "已约谈并补充办事指南链接。"
    status, body = await h.http("POST", f"/api/v1/rectifications/{rid}/close", token=token)
    assert status == 200 and body["rectification"]["status"] == "closed"
    assert body["rectification"]["citizen"]["state"] == "notified"

    async def pushed():
        got = await _get(f"{system.notify_url}/admin/received?provider=push")
        return [r for r in got["received"] if r["body"]["user_id"] == sub and "整改" in str(r["body"])]

    assert await _until(pushed)


async def _post(url: str, data: bytes, headers: dict) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s, s.post(url, data=data, headers=headers) as r:
        return r.status, await r.json()

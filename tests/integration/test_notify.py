"""Notifications to a citizen away from the desk, through the real system and the providers' stand-ins.

One system of its own (one bridge, no Rasa) with fast outbox timers. Each test serves a citizen of one
channel: the citizen hands off, an agent is assigned, the citizen leaves (or stays), the agent replies;
the stand-in of the citizen's channel (ops/notify_standins.py) tells what arrived, as the real service
would have received it.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from bridge.infra.notify_providers import rsa2
from core import signatures
from ops.system import System
from tests.integration.systems import MultiHarness, open_harness, own_system
from tests.support import Client, cmid, start_conversation

DEPARTMENT, MATTER = "taxation", "invoice-application"
ENV = {"NOTIFY_DELAY_S": "1.5", "NOTIFY_POLL_S": "0.2", "NOTIFY_RETRY_BASE_S": "0.2", "NOTIFY_RETRY_MAX_S": "0.5",
       "NOTIFY_MAX_ATTEMPTS": "4", "NOTIFY_QUIET_HOURS": "off", "NOTIFY_COALESCE_S": "60",
       "NOTIFY_PER_CITIZEN_PER_HOUR": "3", "RASA_TIMEOUT_S": "1"}


CLOSED_DEPARTMENT, CLOSED_MATTER = "education", "school-enrollment"


@pytest.fixture(scope="module")
def notify_system():
    # human help every day around the clock, but one department that never opens (start = end: closed)
    hours = {"default": {"start": "00:00", "end": "24:00", "days": "all"},
             "overrides": {CLOSED_DEPARTMENT: {"start": "00:00", "end": "00:00", "days": "all"}}}
    yield from own_system("notify", bridges=1, **ENV, HELP_HOURS=json.dumps(hours))


@pytest.fixture
async def nh(notify_system):
    async for h in open_harness(notify_system):
        yield h


async def standin(system: System, method: str, path: str, **kw) -> dict:
    async with aiohttp.ClientSession() as s, s.request(method, system.notify_url + path, **kw) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def received(system: System, provider: str, to: str, field) -> list[dict]:
    got = await standin(system, "GET", f"/admin/received?provider={provider}")
    return [r for r in got["received"] if field(r) == to]


async def until(check, timeout_s: float = 15, interval_s: float = 0.2):
    """`check()`'s first true answer within `timeout_s` (polling), else its last answer."""
    deadline = time.monotonic() + timeout_s
    answer = await check()
    while not answer and time.monotonic() < deadline:
        await asyncio.sleep(interval_s)
        answer = await check()
    return answer


async def arrivals(system: System, provider: str, to: str, field, want: int = 1, settle_s: float = 1.5) -> list:
    """What reached the stand-in for `to` once `want` arrived and nothing more came for `settle_s`."""
    async def enough() -> bool:
        return len(await received(system, provider, to, field)) >= want

    await until(enough)
    await asyncio.sleep(settle_s)
    return await received(system, provider, to, field)


async def citizen(h: MultiHarness, channel: str, **contact: str) -> tuple[Client, str]:
    sub = f"u-{uuid.uuid4().hex[:10]}"
    status, data = await h.http("POST", "/api/v1/dev/user-token",
                                json={"sub": sub, "name": "测试市民", "channel": channel, **contact})
    assert status == 200, data
    return await h.connect("/user", data["token"]), sub


async def served(h: MultiHarness, user: Client) -> tuple[Client, str]:
    """An agent of the department serving a new conversation of `user`."""
    await h.reset_department(DEPARTMENT)
    agent = await h.agent([DEPARTMENT])
    cid = await start_conversation(user, "我想申领发票", matter=MATTER)
    ack = await user.call("handoff", {"conversation_id": cid})
    assert ack["ok"], ack
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    return agent, cid


async def leave(h: MultiHarness, user: Client, sub: str) -> None:
    await user.close()

    async def gone() -> bool:
        return await h.store.user_sockets.count_documents({"user": sub}) == 0

    assert await until(gone, 10, 0.1)


async def reply(agent: Client, cid: str, text: str = "您好，请提供纳税人识别号。") -> None:
    ack = await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text", "text": text})
    assert ack["ok"], ack


async def settled(h: MultiHarness, cid: str) -> dict | None:
    """The conversation's outbox item once it is no longer waiting to be sent, else None."""
    item = await h.store.notify_outbox.find_one({"conversation_id": cid})
    return item if item and item["state"] not in ("pending", "sending") else None


async def timeline_events(h: MultiHarness, cid: str, want: int = 1) -> list[dict]:
    """The conversation's notification entries, once `want` of them are there (timeline writes are batched)."""
    async def events() -> list[dict]:
        return await h.store.timeline.find({"conversation_id": cid, "event": {"$regex": "^notify_"}},
                                           sort=[("ts", 1)]).to_list(None)

    async def enough() -> bool:
        return len(await events()) >= want

    await until(enough, 5, 0.1)
    return await events()


async def test_wechat_citizen_away_gets_one_subscription_message_for_several_replies(nh, notify_system):
    openid = f"o{uuid.uuid4().hex[:27]}"
    user, sub = await citizen(nh, "wechat", openid=openid)
    ack = await user.call("notify:consent", {"provider": "wechat", "accepted": ["wx-dev-reply", "wx-dev-turn"]})
    assert ack == {"ok": True, "data": {"provider": "wechat", "consent": {"wx-dev-reply": 1, "wx-dev-turn": 1}}}
    agent, cid = await served(nh, user)
    await leave(nh, user, sub)
    await standin(notify_system, "POST", "/admin/expire-token")  # the cached token is refused: fetched again
    for text in ("您好，请提供纳税人识别号。", "另外请准备营业执照。", "办好后会通知您。"):
        await reply(agent, cid, text)
    got = await arrivals(notify_system, "wechat", openid, lambda r: r["body"]["touser"])
    assert len(got) == 1, got
    body = got[0]["body"]
    assert got[0]["query"]["access_token"]
    assert body["template_id"] == "wx-dev-reply" and body["miniprogram_state"] == "developer"
    assert body["lang"] == "zh_CN" and body["page"] == f"pages/chat/chat?conversation_id={cid}"
    assert set(body["data"]) == {"thing1", "thing2", "time3"}
    assert body["data"]["thing2"]["value"].startswith("您好") and len(body["data"]["thing2"]["value"]) <= 20
    item = await nh.store.notify_outbox.find_one({"conversation_id": cid, "kind": "reply"})
    assert item["state"] == "sent" and item["count"] == 3
    consent = await nh.store.notify_consents.find_one({"_id": f"{sub}:wechat:wx-dev-reply"})
    assert consent["n"] == 0  # used up by the one message
    assert [t["event"] for t in await timeline_events(nh, cid)] == ["notify_sent"]


async def test_wechat_without_consent_sends_nothing(nh, notify_system):
    openid = f"o{uuid.uuid4().hex[:27]}"
    user, sub = await citizen(nh, "wechat", openid=openid)
    ack = await user.call("notify:consent", {"provider": "wechat", "accepted": [], "rejected": ["wx-dev-reply"]})
    assert ack["ok"] and ack["data"]["consent"] == {"wx-dev-reply": 0}
    agent, cid = await served(nh, user)
    await leave(nh, user, sub)
    await reply(agent, cid)
    item = await until(lambda: settled(nh, cid))
    assert item["state"] == "skipped" and item["reason"] == "no_consent"
    assert await received(notify_system, "wechat", openid, lambda r: r["body"]["touser"]) == []
    events = await timeline_events(nh, cid)
    assert [(t["event"], t["detail"]["reason"]) for t in events] == [("notify_skipped", "no_consent")]


async def test_nothing_is_sent_while_the_citizen_is_connected(nh, notify_system):
    user, sub = await citizen(nh, "app")
    agent, cid = await served(nh, user)
    await reply(agent, cid)
    await user.wait_for("message", conversation_id=cid, pred=lambda d: d["sender"]["role"] == "agent")
    await asyncio.sleep(1.5)
    assert await received(notify_system, "push", sub, lambda r: r["body"]["user_id"]) == []
    assert await nh.store.notify_outbox.count_documents({"conversation_id": cid}) == 0


async def test_a_citizen_back_before_sending_is_not_notified(nh, notify_system):
    user, sub = await citizen(nh, "app")
    agent, cid = await served(nh, user)
    await leave(nh, user, sub)
    await reply(agent, cid)
    assert (await nh.store.notify_outbox.find_one({"conversation_id": cid}))["state"] == "pending"
    back, _ = await citizen_again(nh, sub)  # back within NOTIFY_DELAY_S
    await asyncio.sleep(2.5)
    item = await nh.store.notify_outbox.find_one({"conversation_id": cid})
    assert item["state"] == "skipped" and item["reason"] == "connected", item
    assert await received(notify_system, "push", sub, lambda r: r["body"]["user_id"]) == []
    await back.close()


async def citizen_again(h: MultiHarness, sub: str) -> tuple[Client, str]:
    status, data = await h.http("POST", "/api/v1/dev/user-token", json={"sub": sub, "channel": "app"})
    assert status == 200
    return await h.connect("/user", data["token"]), sub


async def test_app_push_is_signed_and_retried_until_it_arrives_once(nh, notify_system):
    user, sub = await citizen(nh, "app")
    agent, cid = await served(nh, user)
    await leave(nh, user, sub)
    await standin(notify_system, "POST", "/admin/fail", json={"provider": "push", "times": 2, "status": 503})
    await reply(agent, cid)
    got = await arrivals(notify_system, "push", sub, lambda r: r["body"]["user_id"])
    assert len(got) == 1, got
    item = await nh.store.notify_outbox.find_one({"conversation_id": cid, "kind": "reply"})
    assert item["state"] == "sent" and item["attempts"] == 3
    headers, body = got[0]["headers"], got[0]["body"]
    assert headers["Idempotency-Key"] == item["_id"]
    raw = json.dumps(body, ensure_ascii=False).encode()
    secret = (Path(notify_system.cfg.var_dir) / "push_secret").read_text().strip()
    assert signatures.mac(secret, f"{headers[signatures.TS]}.{headers[signatures.NONCE]}.".encode() + raw) == \
        headers[signatures.SIGNATURE]
    assert body["title"] == "帮办人员回复了您" and body["kind"] == "reply" and "纳税人识别号" in body["body"]


async def test_alipay_request_is_rsa2_signed_and_the_answer_verified(nh, notify_system):
    alipay_user = f"2088{uuid.uuid4().int % 10**12:012d}"
    user, sub = await citizen(nh, "alipay", openid=alipay_user)
    ack = await user.call("notify:consent", {"provider": "alipay", "accepted": ["ap-dev-reply"]})
    assert ack["ok"], ack
    agent, cid = await served(nh, user)
    await leave(nh, user, sub)
    await standin(notify_system, "POST", "/admin/fail", json={"provider": "alipay", "times": 1, "errcode": "20000"})
    await reply(agent, cid)
    got = await arrivals(notify_system, "alipay", alipay_user, lambda r: r["biz_content"]["to_user_id"])
    assert len(got) == 1, got
    params = got[0]["params"]
    assert params["method"] == "alipay.open.app.mini.templatemessage.send" and params["sign_type"] == "RSA2"
    assert params["charset"] == "utf-8" and params["format"] == "JSON" and params["version"] == "1.0"
    app_public = rsa2.public_key((Path(notify_system.cfg.var_dir) / "notify" / "app_public.pem").read_bytes())
    assert rsa2.verify(app_public, rsa2.signing_content(params), params["sign"])
    biz = got[0]["biz_content"]
    assert biz["user_template_id"] == "ap-dev-reply" and set(json.loads(biz["data"])) == {
        "keyword1", "keyword2", "keyword3"}
    item = await nh.store.notify_outbox.find_one({"conversation_id": cid})
    assert item["state"] == "sent" and item["attempts"] == 2


async def test_sms_goes_to_a_verified_number_and_a_dead_letter_can_be_retried(nh, notify_system):
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    user, sub = await citizen(nh, "pc", phone=phone)
    agent, cid = await served(nh, user)
    await leave(nh, user, sub)
    await standin(notify_system, "POST", "/admin/fail", json={"provider": "sms", "times": 4, "status": 500})
    await reply(agent, cid)
    item = await until(lambda: settled(nh, cid))
    assert item["state"] == "dead" and item["attempts"] == 4 and "HTTP 500" in item["last_error"]
    username, password = await nh.make_staff([DEPARTMENT], "supervisor")
    token = await nh.staff_token(username, password)
    status, view = await nh.http("GET", "/api/v1/notify/outbox?state=dead&provider=sms", token=token)
    assert status == 200 and view["counts"]["sms"]["dead"] >= 1
    assert any(i["id"] == item["_id"] for i in view["items"]) and "to" not in view["items"][0]
    other, _ = await nh.make_staff(["education"], "supervisor")
    other_token = await nh.staff_token(other)
    status, view = await nh.http("GET", "/api/v1/notify/outbox?state=dead", token=other_token)
    assert status == 200 and all(i["id"] != item["_id"] for i in view["items"])
    status, _ = await nh.http("POST", f"/api/v1/notify/outbox/{item['_id']}/retry", token=other_token)
    assert status == 404  # another department's dead letter
    status, answer = await nh.http("POST", f"/api/v1/notify/outbox/{item['_id']}/retry", token=token)
    assert status == 200 and answer["item"]["state"] == "pending", answer
    got = await arrivals(notify_system, "sms", phone, lambda r: r["body"]["phone"])
    assert len(got) == 1 and got[0]["body"]["template_code"] == "SMS_BB_REPLY", got
    events = [t["event"] for t in await timeline_events(nh, cid, 3)]
    assert events == ["notify_dead", "notify_retried", "notify_sent"], events
    status, _ = await nh.http("POST", f"/api/v1/notify/outbox/{item['_id']}/retry", token=token)
    assert status == 404  # sent: no longer a dead letter


async def test_consent_over_http_and_its_refusals(nh):
    openid = f"o{uuid.uuid4().hex[:27]}"
    status, data = await nh.http("POST", "/api/v1/dev/user-token",
                                 json={"sub": f"u-{uuid.uuid4().hex[:8]}", "channel": "wechat", "openid": openid})
    token = data["token"]
    body = {"provider": "wechat", "accepted": ["wx-dev-reply", "wx-dev-rating"]}
    status, answer = await nh.http("POST", "/api/v1/me/notify-consent", token=token, json=body)
    assert status == 200 and answer["data"]["consent"] == {"wx-dev-reply": 1, "wx-dev-rating": 1}
    status, answer = await nh.http("POST", "/api/v1/me/notify-consent", token=token, json=body)
    assert answer["data"]["consent"] == {"wx-dev-reply": 2, "wx-dev-rating": 2}  # accepts add up
    status, known = await nh.http("GET", "/api/v1/me/notify-consent", token=token)
    assert status == 200 and known["provider"] == "wechat", known
    assert known["templates"]["wx-dev-reply"] == ["reply", "offhours_reply"] and "wx-dev-turn" in known["templates"]
    assert known["consent"] == {"wx-dev-reply": 2, "wx-dev-rating": 2}
    status, answer = await nh.http("POST", "/api/v1/me/notify-consent", token=token,
                                   json={"provider": "wechat", "accepted": ["no-such-template"]})
    assert status == 400, answer
    status, answer = await nh.http("POST", "/api/v1/me/notify-consent", token=token,
                                   json={"provider": "alipay", "accepted": ["ap-dev-reply"]})
    assert status == 409, answer  # a WeChat citizen's token names no Alipay user
    app_token = await nh.user_token(channel="app")
    status, answer = await nh.http("POST", "/api/v1/me/notify-consent", token=app_token, json=body)
    assert status == 409, answer
    status, known = await nh.http("GET", "/api/v1/me/notify-consent", token=app_token)
    assert (status, known) == (200, {"provider": None, "templates": {}, "consent": {}})  # the app needs no consent
    sub = (await nh.store.notify_contacts.find_one({"openid": openid}))["_id"]
    admin, _ = await nh.make_staff([], "admin")
    status, answer = await nh.http("POST", f"/api/v1/admin/users/{sub}/erase", token=await nh.staff_token(admin))
    assert status == 200 and answer["counts"]["notifications"] == 3, answer  # two consents and the contact
    assert await nh.store.notify_consents.count_documents({"user": sub}) == 0
    assert await nh.store.notify_contacts.count_documents({"_id": sub}) == 0


async def test_your_turn_and_the_rating_request_reach_a_citizen_away(nh, notify_system):
    user, sub = await citizen(nh, "app")
    await nh.reset_department(DEPARTMENT)
    cid = await start_conversation(user, "我想申领发票", matter=MATTER)
    assert (await user.call("handoff", {"conversation_id": cid}))["ok"]  # nobody online: queued
    await leave(nh, user, sub)
    agent = await nh.agent([DEPARTMENT])
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    ack = await agent.call("close", {"conversation_id": cid, "resolved": True})
    assert ack["ok"], ack
    got = await arrivals(notify_system, "push", sub, lambda r: r["body"]["user_id"], want=2)
    assert sorted(r["body"]["kind"] for r in got) == ["rating", "your_turn"], got
    turn = next(r["body"] for r in got if r["body"]["kind"] == "your_turn")
    assert turn["title"] == "轮到您了" and "已接入" in turn["body"]


async def test_the_work_order_result_reaches_a_citizen_away(nh, notify_system):
    phone = f"138{uuid.uuid4().int % 10**8:08d}"
    user, sub = await citizen(nh, "kiosk", phone=phone)
    agent, cid = await served(nh, user)
    await leave(nh, user, sub)
    ack = await agent.call("escalate", {"conversation_id": cid, "summary": "需要税务部门线下核实"})
    assert ack["ok"], ack
    ticket = ack["ticket"]["id"]
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{notify_system.hotline_url}/workorders") as r:
            assert r.status == 200
        body = {"ticket_id": ticket, "status": "resolved", "note": "已办结"}
        async with s.post(f"{notify_system.hotline_url}/admin/callback", json=body) as r:
            assert r.status == 200 and (await r.json())["status"] == 200
    got = await arrivals(notify_system, "sms", phone, lambda r: r["body"]["phone"])
    assert [r["body"]["template_code"] for r in got] == ["SMS_BB_ORDER"], got
    assert got[0]["body"]["params"] == {"ticket": ticket, "status": "已办结"}


async def test_the_reply_to_a_message_left_out_of_hours_is_notified_as_such(nh, notify_system):
    user, sub = await citizen(nh, "app")
    await nh.reset_department(CLOSED_DEPARTMENT)
    cid = await start_conversation(user, "孩子入学报名需要什么材料", matter=CLOSED_MATTER)
    assert (await user.call("handoff", {"conversation_id": cid}))["ok"]
    notice = await user.wait_for("message", conversation_id=cid, pred=lambda d: d["meta"].get("left_message"))
    assert "非人工服务时间" in notice["text"]
    await leave(nh, user, sub)
    agent = await nh.agent([CLOSED_DEPARTMENT])  # the department opens: an agent takes the queue
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    await reply(agent, cid, "您好，入学报名请准备户口簿和房产证明。")
    await reply(agent, cid, "材料齐全后可在线提交。")
    got = await arrivals(notify_system, "push", sub, lambda r: r["body"]["user_id"], want=2)
    assert sorted(r["body"]["kind"] for r in got) == ["offhours_reply", "your_turn"], got
    left = next(r["body"] for r in got if r["body"]["kind"] == "offhours_reply")
    assert left["title"] == "您的留言已有回复" and "户口簿" in left["body"]


async def test_a_citizen_gets_at_most_the_hourly_number_of_notifications(nh, notify_system):
    user, sub = await citizen(nh, "app")
    agent, first = await served(nh, user)
    second = await start_conversation(user, "还想问一下开票额度", matter=MATTER)
    assert (await user.call("handoff", {"conversation_id": second}))["ok"]
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == second)
    await leave(nh, user, sub)
    for cid in (first, second):
        await reply(agent, cid)
        assert (await agent.call("close", {"conversation_id": cid, "resolved": True}))["ok"]
    got = await arrivals(notify_system, "push", sub, lambda r: r["body"]["user_id"], want=3)
    assert len(got) == 3, got  # NOTIFY_PER_CITIZEN_PER_HOUR
    items = await nh.store.notify_outbox.find({"user": sub}).to_list(None)
    assert sorted(i["state"] for i in items) == ["sent", "sent", "sent", "skipped"], items
    assert [i["reason"] for i in items if i["state"] == "skipped"] == ["rate_limited"]

"""Issue 14, items 2 and 3: throttled and audited logins; staff changes reach open sockets on every bridge."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from bridge.admin import update_agent
from ops.system import System
from tests.integration.systems import MultiHarness, bridge_url, open_harness, own_system
from tests.support import Client, connect_refusal, start_conversation

CHECK_S = 1.0


@pytest.fixture(scope="module")
def staff_system() -> Iterator[System]:
    yield from own_system("staff", bridges=2, LOGIN_LOCK_S="3", LOGIN_ADDRESS_FAILURES="20",
                          TRUSTED_PROXIES="127.0.0.1", STAFF_CHECK_S=str(CHECK_S))


@pytest.fixture
async def sh(staff_system: System) -> AsyncIterator[MultiHarness]:
    async for h in open_harness(staff_system):
        yield h


async def _login(h: MultiHarness, username: str, password: str, bridge: int = 0,
                 forwarded_for: str = "") -> tuple[int, dict]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    async with aiohttp.ClientSession() as s:
        async with s.post(bridge_url(h.system, bridge) + "/api/v1/agents/login", headers=headers,
                          json={"username": username, "password": password}) as r:
            return r.status, await r.json()


async def _closed_within(seconds: float, *clients: Client) -> bool:
    """Whether every client's socket was closed by the server within `seconds`."""
    async def closed(c: Client) -> None:
        while c.sio.connected:  # noqa: ASYNC110 - the client library offers no disconnect event to await
            await asyncio.sleep(0.05)
    try:
        await asyncio.wait_for(asyncio.gather(*(closed(c) for c in clients)), seconds)
    except TimeoutError:
        return False
    return True


async def test_eleventh_wrong_password_is_throttled_and_the_right_one_waits(sh: MultiHarness):
    username, password = await sh.make_staff(["taxation"])
    client = "192.0.2.11"  # behind the trusted proxy: the address counted is the client's
    for i in range(10):
        status, body = await _login(sh, username, "wrong-passw0rd", i % 2, client)
        assert status == 401 and body["error"]["code"] == "bad_credentials", (i, status, body)
    status, body = await _login(sh, username, "wrong-passw0rd", 1, client)
    assert status == 429 and body["error"]["code"] == "login_throttled", body
    assert body["error"]["message"] == "登录尝试过多，请稍后再试。" and 1 <= body["error"]["retry_after"] <= 3
    status, body = await _login(sh, username, password, 0, client)  # the right password waits too, on either bridge
    assert status == 429 and body["error"]["code"] == "login_throttled", body
    await asyncio.sleep(body["error"]["retry_after"] + 0.3)
    # one more failure after the lock: the next lock is longer (growing delays)
    assert (await _login(sh, username, "wrong-passw0rd", 0, client))[0] == 401
    status, body = await _login(sh, username, password, 0, client)
    assert status == 429 and body["error"]["retry_after"] > 3, body
    await asyncio.sleep(body["error"]["retry_after"] + 0.3)
    status, body = await _login(sh, username, password, 0, client)
    assert status == 200 and body["token"], body
    audit = await sh.store.audit.find({"kind": "login", "username": username}, sort=[("ts", 1)]).to_list(None)
    outcomes = [a["outcome"] for a in audit]
    assert outcomes.count("bad_credentials") == 11 and outcomes.count("throttled") == 3 and outcomes[-1] == "ok"
    assert all(a["address"] == client and "password" not in a for a in audit), audit


async def test_unknown_usernames_take_as_long_as_known_ones(sh: MultiHarness):
    known, _ = await sh.make_staff(["taxation"])
    client = "192.0.2.12"

    async def timed(username: str) -> float:
        t = time.perf_counter()
        status, _ = await _login(sh, username, "wrong-passw0rd", 0, client)
        assert status == 401
        return time.perf_counter() - t

    known_s = statistics.median([await timed(known) for _ in range(5)])
    unknown_s = statistics.median([await timed(f"nobody-{uuid.uuid4().hex[:8]}") for _ in range(5)])
    assert unknown_s > 0.6 * known_s, (known_s, unknown_s)
    audit = await sh.store.audit.count_documents({"kind": "login", "username": {"$regex": "^nobody-"},
                                                  "outcome": "bad_credentials"})
    assert audit >= 5


async def test_disabled_agent_is_disconnected_on_every_bridge(sh: MultiHarness):
    first = await sh.agent_on(0, ["taxation"], online=False)
    token = first.token
    second = await sh.connect("/agent", token, bridge_url(sh.system, 1))
    assert first.sio.connected and second.sio.connected
    await update_agent(sh.store, first.username, disabled=True)
    assert await _closed_within(5, first, second), "a disabled agent's socket stayed open"
    assert first.of("session_ended", code="account_disabled") or second.of("session_ended", code="account_disabled")
    for i in (0, 1):
        assert await connect_refusal(bridge_url(sh.system, i), "/agent", token) == "account_disabled"
    status, body = await sh.http("GET", "/api/v1/queues", token=token)
    assert status == 403 and body["error"]["code"] == "account_disabled"


async def test_demoted_supervisor_loses_the_open_socket(sh: MultiHarness):
    boss = await sh.agent_on(1, ["taxation"], role="supervisor", online=False)
    assert (await boss.call("supervise"))["ok"]
    await update_agent(sh.store, boss.username, role="agent")
    assert await _closed_within(5, boss)
    assert boss.of("session_ended", code="forbidden")
    # a token of the old role is refused everywhere; a new login carries the database's role
    status, body = await sh.http("GET", "/api/v1/me", token=boss.token)
    assert status == 403 and body["error"]["code"] == "forbidden", body
    assert await connect_refusal(bridge_url(sh.system, 0), "/agent", boss.token) == "forbidden"
    status, body = await sh.http("GET", "/api/v1/me", token=await sh.staff_token(boss.username))
    assert status == 200 and body["role"] == "agent", body


async def test_removed_department_stops_its_queue_events(sh: MultiHarness):
    kept, removed = "housing-fund", "human-resources"
    for dep in (kept, removed):
        await sh.reset_department(dep)
    agent = await sh.agent_on(1, [kept, removed], online=False)
    user = await sh.user_on(0)
    cid = await start_conversation(user, "社保卡补换", matter="social-security-card")
    assert (await user.call("handoff", {"conversation_id": cid}))["state"] == "queued"
    await agent.wait_for("queue", pred=lambda d: d["queues"][0]["department"] == removed)
    admin_name, password = await sh.make_staff(["*"], role="admin")
    admin = await sh.staff_token(admin_name, password)
    change = {"departments": [kept]}
    status, body = await sh.http("PATCH", f"/api/v1/agents/{agent.username}", token=agent.token, json=change)
    assert status == 403 and body["error"]["code"] == "forbidden", body
    status, body = await sh.http("PATCH", f"/api/v1/agents/{agent.username}", token=admin, json={"departments": ["x"]})
    assert status == 400 and "未知部门" in body["error"]["message"], body
    status, body = await sh.http("PATCH", f"/api/v1/agents/{agent.username}", token=admin, json=change)
    assert status == 200 and body["agent"]["departments"] == [kept], body
    await asyncio.sleep(CHECK_S * 2.5)
    agent.events.clear()
    user2 = await sh.user_on(0)
    cid2 = await start_conversation(user2, "社保卡补换", matter="social-security-card")
    assert (await user2.call("handoff", {"conversation_id": cid2}))["state"] == "queued"
    user3 = await sh.user_on(0)
    cid3 = await start_conversation(user3, "公积金提取", matter="housing-fund-withdrawal")
    assert (await user3.call("handoff", {"conversation_id": cid3}))["state"] == "queued"
    await agent.wait_for("queue", pred=lambda d: d["queues"][0]["department"] == kept)
    await asyncio.sleep(0.5)
    assert not [d for d in agent.of("queue") if d["queues"][0]["department"] == removed], agent.events
    queues = await agent.call("queues")
    assert [q["department"] for q in queues["queues"]] == [kept], queues
    assert agent.sio.connected


async def test_failures_from_one_address_lock_every_username(sh: MultiHarness):
    """The client address behind the trusted proxy (127.0.0.1 here) is the one counted and audited."""
    username, password = await sh.make_staff(["taxation"])
    attacker = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    codes = []
    for _ in range(30):
        status, body = await _login(sh, f"nobody-{uuid.uuid4().hex[:8]}", "wrong-passw0rd", forwarded_for=attacker)
        codes.append(body["error"]["code"])
        if status == 429:
            break
    assert codes == ["bad_credentials"] * 20 + ["login_throttled"], codes
    status, body = await _login(sh, username, password, forwarded_for=attacker)
    assert status == 429 and body["error"]["code"] == "login_throttled", body
    # another client is served; a forged X-Forwarded-For hop before the proxy's does not help
    assert (await _login(sh, username, password, forwarded_for="198.51.100.7"))[0] == 200
    assert (await _login(sh, username, password, forwarded_for=f"198.51.100.8, {attacker}"))[0] == 429
    assert await sh.store.audit.count_documents({"kind": "login", "address": attacker, "outcome": "throttled"}) == 3


async def test_media_routes_follow_the_staff_account_not_the_token(sh: MultiHarness):
    """A supervisor moved to another department loses that department's media within seconds."""
    import io

    from PIL import Image

    from tests.integration.test_media_uploads_e2e import upload

    dep = "housing-fund"
    user = await sh.user_on(0)
    cid = await start_conversation(user, "公积金提取", matter="housing-fund-withdrawal")
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(png, "PNG")
    status, media = await upload(sh, user.token, cid, png.getvalue(), "截图.png", "image/png")
    assert status in (200, 201), media
    boss_name, password = await sh.make_staff([dep], role="supervisor")
    boss = await sh.staff_token(boss_name, password)
    status, body = await sh.http("GET", f"/api/v1/media/{media['media_id']}/link", token=boss)
    assert status == 200 and body["url"], body
    admin_name, admin_password = await sh.make_staff(["*"], role="admin")
    admin = await sh.staff_token(admin_name, admin_password)
    status, body = await sh.http("PATCH", f"/api/v1/agents/{boss_name}", token=admin,
                                 json={"departments": ["human-resources"]})
    assert status == 200, body
    for _ in range(20):  # the staff cache keeps an account for at most a few seconds
        status, body = await sh.http("GET", f"/api/v1/media/{media['media_id']}/link", token=boss)
        if status == 404:
            break
        await asyncio.sleep(0.5)
    assert status == 404 and body["error"]["code"] == "not_found", body

"""Faults on a system of two bridge processes: Rasa down, database restart, kill -9 of a bridge
(in the middle of a bot turn, and mid-conversation), 12345 outage across bridge restarts. The tests
run in file order and leave the system healthy.

Rasa is not started with the system (Rasa down from the start); the bot-turn test puts a stand-in
on Rasa's port for its own duration; the kill test starts the real Rasa in the background so that
the last test can check recovery when it comes back (one extra Rasa only).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import time
import uuid

import aiohttp
import pytest

from core.clock import now
from ops.model import ensure_model
from ops.procs import port_open, wait_until
from ops.system import System
from tests.integration.rasa_standin import RasaStandIn
from tests.integration.systems import MultiHarness, bridge_url, harness, start_own_system
from tests.support import Client, cmid, start_conversation


@pytest.fixture(scope="module")
def faulty() -> System:
    system = start_own_system("faults", bridges=2)
    yield system
    system.stop()


@pytest.fixture
async def mh(faulty: System):
    h = harness(faulty)
    yield h
    await h.close_clients()
    await h.store.close()


def boot_rasa(system: System) -> None:
    """Start actions and Rasa once, without waiting for them (the model is trained only on a cache miss).

    Called from the main thread: children die with the thread that started them (PR_SET_PDEATHSIG).
    """
    if "rasa" in system.procs:
        return
    system.model_path = ensure_model(config=system.cfg.rasa_config, log=system.log)
    system.start_actions()
    system.start_rasa()


async def health(system: System, i: int) -> tuple[int, dict]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as s:
        async with s.get(f"{bridge_url(system, i)}/healthz") as r:
            return r.status, await r.json()


async def wait_health(system: System, database: bool, timeout: float = 30) -> float:
    """Seconds until every bridge's /healthz reports the database as `database`."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        got = [await health(system, i) for i in range(len(system.cfg.bridge_ports))]
        if all(body["database"] is database for _, body in got):
            if not database:
                assert all(status == 503 and body["ok"] is False for status, body in got), got
            return time.monotonic() - t0
        await asyncio.sleep(0.3)
    raise AssertionError(f"/healthz did not report database={database} within {timeout} s")


def text_msg(cid: str | None, text: str, mid: str | None = None) -> dict:
    body = {"client_msg_id": mid or cmid(), "type": "text", "text": text}
    if cid:
        body["conversation_id"] = cid
    return body


class Pump:
    """Send messages one after another, recording what was acknowledged and what was refused."""

    def __init__(self, client: Client, cid: str, label: str, timeout: float = 3) -> None:
        self.client, self.cid, self.label, self.timeout = client, cid, label, timeout
        self.acked: dict[str, int] = {}
        self.refused: dict[str, str] = {}
        self.unknown: list[str] = []  # no answer (connection lost): maybe stored, maybe not
        self.stop = False

    async def run(self, limit: int = 500, pause: float = 0.02) -> None:
        for i in range(limit):
            if self.stop or not self.client.sio.connected:
                return
            mid = cmid()
            try:
                ack = await self.client.call("message", text_msg(self.cid, f"{self.label}{i}", mid), self.timeout)
            except Exception:  # noqa: BLE001 - the process went away
                self.unknown.append(mid)
                return
            if ack.get("ok"):
                self.acked[mid] = ack["seq"]
            else:
                self.refused[mid] = ack["error"]["code"]
            await asyncio.sleep(pause)


async def until(cond, timeout: float = 30, step: float = 0.05) -> None:
    """Wait until `cond()` is true."""
    for _ in range(int(timeout / step)):
        if cond():
            return
        await asyncio.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


async def check_stored_once(mh: MultiHarness, cid: str, acked: dict[str, int]) -> list[dict]:
    docs = await mh.store.messages.find({"conversation_id": cid}, sort=[("seq", 1)]).to_list(None)
    seqs = [d["seq"] for d in docs]
    assert seqs == list(range(1, len(seqs) + 1)), f"gaps or doubles in {seqs}"
    by_mid: dict[str, list[int]] = {}
    for d in docs:
        if d.get("client_msg_id"):
            by_mid.setdefault(d["client_msg_id"], []).append(d["seq"])
    for mid, seq in acked.items():
        assert by_mid.get(mid) == [seq], (mid, seq, by_mid.get(mid))
    return docs


async def marks(mh: MultiHarness, cid: str) -> list[tuple[int, dict]]:
    """(seq, mark) of the conversation's user messages whose bot turn is pending."""
    docs = await mh.store.messages.find({"conversation_id": cid, "bot_turn": {"$exists": True}},
                                        sort=[("seq", 1)]).to_list(None)
    return [(d["seq"], d["bot_turn"]) for d in docs]


def gone_mark() -> dict:
    """The mark of a turn owed by a process that died 30 s ago."""
    return {"process": f"gone-{uuid.uuid4().hex[:8]}", "at": now() - dt.timedelta(seconds=30)}


def bot_reply(d: dict) -> bool:
    return d["sender"]["role"] == "bot"


async def test_rasa_down_gives_apology_with_handoff_button_fast_and_loses_nothing(mh: MultiHarness):
    await mh.reset_department("public-security")
    user = await mh.user_on(0)
    t0 = time.monotonic()
    cid = await start_conversation(user, "居住证怎么办理", matter="residence-permit")
    reply = await user.wait_for("message", timeout=5, conversation_id=cid, pred=bot_reply)
    assert time.monotonic() - t0 < 5
    assert reply["meta"]["error"] == "bot_unavailable" and "转人工" in reply["text"]
    assert {"title": "转人工", "payload": "/request_human"} in reply["buttons"]
    second = await user.call("message", text_msg(cid, "需要什么材料"))
    assert second["ok"]
    await user.wait_for("message", timeout=5, conversation_id=cid,
                        pred=lambda d: bot_reply(d) and d["seq"] > second["seq"])
    # the button works while the bot is down
    press = await user.call("message", text_msg(cid, "/request_human"))
    assert press["ok"]
    state = await user.wait_for("state", timeout=5, conversation_id=cid)
    assert state["state"] == "queued" and state["department"] == "public-security"
    docs = await check_stored_once(mh, cid, {})
    texts = [d["text"] for d in docs if d["sender"]["role"] == "user"]
    assert texts == ["居住证怎么办理", "需要什么材料", "/request_human"]


def test_the_embedded_database_runs_on_one_core(faulty: System):
    """Its threads share one GIL: pinned to one core they switch there (ops/embedded_db.py)."""
    cores = os.sched_getaffinity(0)
    pinned = os.sched_getaffinity(faulty.procs["database"].popen.pid)
    assert pinned == ({max(cores)} if len(cores) > 1 else cores)


async def test_database_restart_refuses_writes_then_recovers(mh: MultiHarness, faulty: System):
    await wait_health(faulty, True)
    user = await mh.user_on(0)
    cid = await start_conversation(user, "社保卡补办")
    pump = Pump(user, cid, "db", timeout=20)
    task = asyncio.create_task(pump.run(limit=10_000, pause=0.05))
    await until(lambda: len(pump.acked) >= 5)
    db = faulty.procs["database"]
    argv = db.argv
    db.kill9()
    took = await wait_health(faulty, False, timeout=10)
    await until(lambda: len(pump.refused) >= 3)
    assert set(pump.refused.values()) == {"db_unavailable"}, pump.refused
    other = await mh.connect("/user", user.token, bridge_url(faulty, 1))
    ack = await other.call("message", text_msg(None, "新的咨询"), timeout=20)
    assert ack["ok"] is False and ack["error"]["code"] == "db_unavailable" and ack["error"]["message"]
    down_acks = len(pump.acked)
    faulty._proc("database", argv)
    wait_until(faulty._db_ready, 30, "database restart", faulty.procs["database"])
    back = await wait_health(faulty, True, timeout=30)
    await until(lambda: len(pump.acked) >= down_acks + 5)  # the same connection works again
    pump.stop = True
    await task
    print(f"healthz unready after {took:.1f} s; ready again {back:.1f} s after the restart; "
          f"{len(pump.acked)} acked, {len(pump.refused)} refused")
    # nothing acknowledged is lost; a refused message resent with its id is stored once
    for mid in list(pump.refused):
        again = await user.call("message", text_msg(cid, "重发", mid), timeout=20)
        assert again["ok"], again
        pump.acked[mid] = again["seq"]
    await check_stored_once(mh, cid, pump.acked)
    assert (await other.call("message", text_msg(None, "新的咨询")))["ok"]


async def test_kill9_during_a_bot_turn_the_reply_comes_once_from_the_other_process(mh: MultiHarness,
                                                                                   faulty: System):
    held = "公积金提取需要哪些材料"
    rasa = await RasaStandIn(faulty.cfg.rasa_port, {held}).start()
    try:
        user = await mh.user_on(1)
        cid = await start_conversation(user, "公积金怎么提取", matter="housing-fund-withdrawal")
        first = await user.wait_for("message", timeout=10, conversation_id=cid, pred=bot_reply)
        assert first["text"] == "小申答：公积金怎么提取"
        assert await marks(mh, cid) == []  # settled with the turn

        ack = await user.call("message", text_msg(cid, held))
        assert ack["ok"], ack
        await asyncio.wait_for(rasa.held.wait(), 10)  # the turn is in flight on bridge 1
        [(seq, mark)] = await marks(mh, cid)
        owner = mark["process"]
        assert seq == ack["seq"] and owner in {p["_id"] for p in await mh.store.processes.find().to_list(None)}
        faulty.procs["bridge-1"].kill9()
        t_kill = time.monotonic()

        back = await mh.connect("/user", user.token, bridge_url(faulty, 0))
        reply = await back.wait_for("message", timeout=30, conversation_id=cid,
                                    pred=lambda d: bot_reply(d) and d["seq"] > ack["seq"])
        took = time.monotonic() - t_kill
        assert reply["text"] == f"小申答：{held}"
        print(f"bot reply {took:.1f} s after the kill (PROCESS_DEAD_S=4)")
        synced = await back.call("sync", {"conversation_id": cid, "after_seq": 0})
        bots = [m["text"] for m in synced["messages"] if bot_reply(m)]
        assert bots == ["小申答：公积金怎么提取", f"小申答：{held}"], bots
        assert rasa.count(held) == 2  # the turn in flight when bridge 1 died, and the one re-run
        await check_stored_once(mh, cid, {})
        assert await marks(mh, cid) == []
        conv = await mh.store.conversations.find_one({"_id": cid})

        # the killed process comes back; with two sweepers, an orphaned mark is taken up once:
        # a reply already stored is not asked again, an unanswered message is answered once
        faulty.start_bridge(1)
        wait_until(lambda: port_open(faulty.cfg.bridge_ports[1]), 60, "bridge 1 restart", faulty.procs["bridge-1"])
        await asyncio.sleep(1)  # both sweepers beat
        orphan = "提取到账要多久"
        last = synced["messages"][-1]["seq"]
        await mh.store.messages.insert_one({
            "_id": uuid.uuid4().hex, "conversation_id": cid, "seq": last + 1, "ts": now(), "type": "text",
            "sender": {"role": "user", "id": conv["user"]["id"], "name": conv["user"]["name"]},
            "text": orphan, "meta": {}, "client_msg_id": cmid(), "bot_turn": gone_mark()})
        # a stale mark on a message whose reply is stored: cleared, not asked again
        await mh.store.messages.update_one({"conversation_id": cid, "seq": ack["seq"]},
                                           {"$set": {"bot_turn": gone_mark()}})
        again = await back.wait_for("message", timeout=15, conversation_id=cid,
                                    pred=lambda d: bot_reply(d) and d["seq"] > last + 1)
        assert again["text"] == f"小申答：{orphan}"
        await asyncio.sleep(2)  # both sweepers run a few more rounds
        assert rasa.count(orphan) == 1 and rasa.count(held) == 2, rasa.requests
        docs = await check_stored_once(mh, cid, {})
        assert [d["text"] for d in docs if bot_reply(d)] == [
            "小申答：公积金怎么提取", f"小申答：{held}", f"小申答：{orphan}"]
        assert await marks(mh, cid) == []
    finally:
        await rasa.stop()


async def test_kill9_bridge_clients_resume_on_the_other_process(mh: MultiHarness, faulty: System):
    boot_rasa(faulty)  # loads in the background for the last test
    main_dep, gone_dep, queue_dep = "housing-fund", "human-resources", "disabled-federation"
    for dep in (main_dep, gone_dep, queue_dep):
        await mh.reset_department(dep)
    a1 = await mh.agent_on(1, [main_dep])
    a2 = await mh.agent_on(1, [gone_dep])
    u1 = await mh.user_on(1)
    cid1 = await start_conversation(u1, "公积金提取", matter="housing-fund-withdrawal")
    await u1.call("handoff", {"conversation_id": cid1})
    await a1.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid1)
    u2 = await mh.user_on(1)
    cid2 = await start_conversation(u2, "社保卡补换", matter="social-security-card")
    await u2.call("handoff", {"conversation_id": cid2})
    await a2.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid2)
    assert (await a2.call("message", text_msg(cid2, "您好")))["ok"]
    u3 = await mh.user_on(1)
    cid3 = await start_conversation(u3, "残疾人证办理", matter="disability-certificate")
    assert (await u3.call("handoff", {"conversation_id": cid3}))["state"] == "queued"
    queued_before = await mh.store.conversations.find_one({"_id": cid3})

    pumps = [Pump(u1, cid1, "用户"), Pump(a1, cid1, "坐席")]
    tasks = [asyncio.create_task(p.run()) for p in pumps]
    await until(lambda: sum(len(p.acked) for p in pumps) >= 12)
    faulty.procs["bridge-1"].kill9()
    t_kill = time.monotonic()
    await asyncio.gather(*tasks)
    acked = {**pumps[0].acked, **pumps[1].acked}

    # reconnect to the surviving process and resume with sync
    u1b = await mh.connect("/user", u1.token, bridge_url(faulty, 0))
    a1b = await mh.connect("/agent", a1.token, bridge_url(faulty, 0))
    last_seen = max((m["seq"] for m in u1.messages(cid1)), default=0)
    synced = await u1b.call("sync", {"conversation_id": cid1, "after_seq": last_seen})
    assert synced["ok"] and synced["state"] == "with_agent"
    assert [m["seq"] for m in synced["messages"]] == list(range(last_seen + 1, last_seen + 1 + len(synced["messages"])))
    mine = await a1b.call("conversations")
    assert cid1 in [c["id"] for c in mine["conversations"]]
    # what had no answer is resent with the same client_msg_id: stored once
    for pump, client in ((pumps[0], u1b), (pumps[1], a1b)):
        for mid in pump.unknown:
            again = await client.call("message", text_msg(cid1, "重发", mid))
            assert again["ok"], again
            acked[mid] = again["seq"]
    await check_stored_once(mh, cid1, acked)
    after = await u1b.call("message", text_msg(cid1, "还在吗"))
    await a1b.wait_for("message", conversation_id=cid1, seq=after["seq"])

    # the queued conversation stayed queued, in its place
    u3b = await mh.connect("/user", u3.token, bridge_url(faulty, 0))
    s3 = await u3b.call("sync", {"conversation_id": cid3, "after_seq": 0})
    assert s3["state"] == "queued" and s3["state_info"]["queue_position"] == 1
    now3 = await mh.store.conversations.find_one({"_id": cid3})
    assert now3["queue_key"] == queued_before["queue_key"]

    # timers still fire: a2 never came back; the survivor reaps its session and requeues its conversation
    u2b = await mh.connect("/user", u2.token, bridge_url(faulty, 0))
    note = await u2b.wait_for("message", timeout=30, conversation_id=cid2,
                              pred=lambda d: d["meta"].get("event") == "requeued")
    assert note["meta"]["reason"] == "agent_disconnected"
    print(f"requeued {time.monotonic() - t_kill:.1f} s after the kill")
    assert (await mh.store.conversations.find_one({"_id": cid1}))["state"] == "with_agent"  # a1 came back in time
    conv2 = await mh.store.conversations.find_one({"_id": cid2})
    assert [e["event"] for e in conv2["timeline"]].count("requeued") == 1

    # the killed process comes back and serves again
    faulty.start_bridge(1)
    wait_until(lambda: port_open(faulty.cfg.bridge_ports[1]), 60, "bridge 1 restart", faulty.procs["bridge-1"])
    u1c = await mh.connect("/user", u1.token, bridge_url(faulty, 1))
    back = await u1c.call("message", text_msg(cid1, "换了一台服务器"))
    assert back["ok"]
    await a1b.wait_for("message", conversation_id=cid1, seq=back["seq"])
    await check_stored_once(mh, cid1, acked)


async def test_work_order_pending_across_restart_of_all_bridges_arrives_once(mh: MultiHarness, faulty: System):
    dep = "market-regulation"
    await mh.reset_department(dep)
    agent = await mh.agent_on(1, [dep])
    user = await mh.user_on(0)
    cid = await start_conversation(user, "营业执照办理", matter="company-registration")
    await user.call("handoff", {"conversation_id": cid})
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    async with aiohttp.ClientSession() as s:
        await s.post(f"{faulty.hotline_url}/admin/down")
        try:
            ack = await agent.call("escalate", {"conversation_id": cid, "summary": "需热线协调"})
            assert ack["ok"], ack
            ticket = ack["ticket"]["id"]
            for _ in range(40):
                order = await mh.store.work_orders.find_one({"_id": ticket})
                if order["delivery"]["attempts"] >= 1 and order["delivery"]["state"] == "pending":
                    break
                await asyncio.sleep(0.25)
            assert order["delivery"]["state"] == "pending"
            for i in range(2):
                faulty.procs[f"bridge-{i}"].kill9()
        finally:
            await s.post(f"{faulty.hotline_url}/admin/up")
        for i in range(2):
            faulty.start_bridge(i)
        for i in range(2):
            wait_until(lambda i=i: port_open(faulty.cfg.bridge_ports[i]), 60, f"bridge {i}",
                       faulty.procs[f"bridge-{i}"])
        for _ in range(160):
            order = await mh.store.work_orders.find_one({"_id": ticket})
            if order["delivery"]["state"] == "delivered":
                break
            await asyncio.sleep(0.25)
        assert order["delivery"]["state"] == "delivered", order["delivery"]
        await asyncio.sleep(2)  # both restarted sweepers run a few more rounds
        async with s.get(f"{faulty.hotline_url}/workorders") as r:
            got = await r.json()
    assert [w["id"] for w in got["workorders"]].count(ticket) == 1
    assert got["posts"][ticket] == 1


async def test_rasa_returns_and_a_hung_rasa_still_gets_the_apology_in_time(mh: MultiHarness, faulty: System):
    boot_rasa(faulty)
    await asyncio.to_thread(faulty.wait_bot, 300)
    status, body = await health(faulty, 0)
    assert status == 200 and body["ok"], body
    user = await mh.user_on(1)
    cid = await start_conversation(user, "居住证怎么办理", matter="residence-permit")
    reply = await user.wait_for("message", timeout=30, conversation_id=cid, pred=bot_reply)
    assert "error" not in reply["meta"], reply
    rasa = faulty.procs["rasa"]
    os.killpg(rasa.popen.pid, signal.SIGSTOP)  # hung, not gone: the bridge's timeout must answer
    try:
        t0 = time.monotonic()
        ack = await user.call("message", text_msg(cid, "需要什么材料"))
        hung = await user.wait_for("message", timeout=8, conversation_id=cid,
                                   pred=lambda d: bot_reply(d) and d["seq"] > ack["seq"])
        took = time.monotonic() - t0
    finally:
        os.killpg(rasa.popen.pid, signal.SIGCONT)
    assert hung["meta"].get("error") == "bot_unavailable" and took < 5, (took, hung)
    again = await user.call("message", text_msg(cid, "在哪里办理"))
    fine = await user.wait_for("message", timeout=30, conversation_id=cid,
                               pred=lambda d: bot_reply(d) and d["seq"] > again["seq"] and "error" not in d["meta"])
    assert fine["text"]
    await check_stored_once(mh, cid, {})

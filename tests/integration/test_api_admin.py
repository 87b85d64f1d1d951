"""HTTP API basics, metrics, OpenAPI, health, and the admin command line against the real database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

from core.settings import ROOT
from tests.support import cmid, start_conversation


def admin(system, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **system.env()}
    return subprocess.run([sys.executable, "-m", "bridge.admin", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


async def test_health_openapi_catalogue_and_metrics(h):
    status, health = await h.http("GET", "/healthz")
    calendar = health.pop("calendar")  # its values: test_safe_defaults.py
    assert status == 200 and health == {"ok": True, "bridge": True, "database": True, "bot": True, "actions": True}
    assert set(calendar) == {"covered", "year", "next_year_covered"}
    status, doc = await h.http("GET", "/api/v1/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.") and "/api/v1/agents/login" in doc["paths"]
    status, cat = await h.http("GET", "/api/v1/catalogue")
    assert status == 200 and len(cat["matters"]) == 100  # the 35 of matters.yml and the 65 of wave 2
    assert {d["id"] for d in cat["departments"]} >= {"bigdata-center", "hotline-12345", "triage"}
    user = await h.user()
    await start_conversation(user, "你好")
    status, text = await h.http("GET", "/metrics")
    assert status == 200 and "bangban_messages_total" in text and 'role="user"' in text
    # the collector is timed from the start (the start-up objects are frozen after a full collection)
    assert 'bangban_gc_pause_seconds_count{generation="2"}' in text, text[:2000]
    assert "bangban_message_store_seconds_count" in text  # each message's insert timed (bench/stage_sampler.py)


async def test_conversation_search_and_transcript_for_supervisors(h):
    dep = "housing-fund"
    await h.reset_department(dep)
    agent = await h.agent([dep])
    sup_name, _ = await h.make_staff([dep], role="supervisor")
    sup_token = await h.staff_token(sup_name)
    user = await h.user(name="李四")
    cid = await start_conversation(user, "公积金贷款额度", matter="housing-fund-loan")
    await user.call("handoff", {"conversation_id": cid})
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == cid)
    await agent.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text", "text": "您好"})
    status, found = await h.http("GET", f"/api/v1/conversations?department={dep}&state=with_agent", token=sup_token)
    assert status == 200 and cid in [c["id"] for c in found["conversations"]]
    status, _ = await h.http("GET", "/api/v1/conversations?department=taxation", token=sup_token)
    assert status == 403
    status, text = await h.http("GET", f"/api/v1/conversations/{cid}/transcript?format=text", token=sup_token)
    assert status == 200 and "公积金贷款额度" in text and "您好" in text
    status, detail = await h.http("GET", f"/api/v1/conversations/{cid}", token=sup_token)
    events = [t["event"] for t in detail["timeline"]]
    assert events[:3] == ["created", "handoff", "assigned"]
    status, _ = await h.http("GET", "/api/v1/kpis", token=user.token)
    assert status == 403
    status, k = await h.http("GET", f"/api/v1/kpis?department={dep}", token=sup_token)
    assert status == 200 and k["human"]["served"] >= 1 and k["filter"]["department"] == dep


async def test_dev_token_endpoint_validates_input(h):
    status, body = await h.http("POST", "/api/v1/dev/user-token", json={"sub": "a b c"})
    assert status == 400 and body["error"]["code"] == "invalid_payload"
    status, body = await h.http("POST", "/api/v1/dev/user-token", json={"sub": "ok", "channel": "fax"})
    assert status == 400


def test_admin_cli_creates_lists_disables_and_refuses_bad_input(system):
    name = f"cli-{uuid.uuid4().hex[:6]}"
    ok = admin(system, "create-agent", "--username", name, "--password", "Str0ng-enough", "--name", "张三",
               "--departments", "taxation,triage", "--capacity", "3")
    assert ok.returncode == 0, ok.stderr
    dup = admin(system, "create-agent", "--username", name, "--password", "Str0ng-enough", "--departments",
                "taxation")
    assert dup.returncode == 2 and "已存在" in dup.stderr
    weak = admin(system, "create-agent", "--username", name + "x", "--password", "short", "--departments", "taxation")
    assert weak.returncode == 2 and "密码" in weak.stderr
    unknown = admin(system, "create-agent", "--username", name + "y", "--password", "Str0ng-enough",
                    "--departments", "atlantis")
    assert unknown.returncode == 2 and "atlantis" in unknown.stderr
    listed = admin(system, "list-agents")
    assert name in listed.stdout and "cap=3" in listed.stdout
    off = admin(system, "disable-agent", "--username", name)
    assert off.returncode == 0
    assert "[停用]" in [line for line in admin(system, "list-agents").stdout.splitlines() if name in line][0]
    missing = admin(system, "disable-agent", "--username", "nobody-here")
    assert missing.returncode == 2
    seed = admin(system, "seed")
    assert seed.returncode == 0 and "100" in seed.stdout


async def test_every_matter_has_all_aspects_aliases_and_eight_faqs(h):
    """Issue 16: the 100 matters of the catalogue, each complete in the knowledge base (matters API)."""
    username, _ = await h.make_staff([], "trainer")
    status, body = await h.http("GET", "/api/v1/trainer/matters", token=await h.staff_token(username))
    assert status == 200
    matters = {m["id"]: m for m in body["matters"]}
    status, cat = await h.http("GET", "/api/v1/catalogue")
    assert set(matters) == {m["id"] for m in cat["matters"]} and len(matters) == 100
    thin = {mid: (m["missing"], m["faqs"], m["aliases"]) for mid, m in matters.items()
            if m["missing"] or m["faqs"] < 8 or m["aliases"] < 5}
    assert thin == {}


async def test_disabled_agent_cannot_log_in(h, system):
    username, password = await h.make_staff(["taxation"])
    old_token = await h.staff_token(username, password)
    assert (await h.http("GET", "/api/v1/queues", token=old_token))[0] == 200
    assert admin(system, "disable-agent", "--username", username).returncode == 0
    await asyncio.sleep(5.5)  # the guard re-reads an account at most every 5 s
    status, body = await h.http("GET", "/api/v1/queues", token=old_token)
    assert status == 403 and body["error"]["code"] == "account_disabled"
    status, body = await h.http("POST", "/api/v1/agents/login", json={"username": username, "password": password})
    assert status == 403 and body["error"]["code"] == "account_disabled"


async def test_kb_search_for_agents(h):
    username, _ = await h.make_staff(["housing-fund"])
    token = await h.staff_token(username)
    status, body = await h.http("GET", "/api/v1/kb/search?q=租房提取公积金&matter=housing-fund-withdrawal", token=token)
    assert status == 200 and body["results"]
    top = body["results"][0]
    assert top["matter"] == "housing-fund-withdrawal" and top["answer"] and top["id"].startswith("housing-fund")
    status, body = await h.http("GET", "/api/v1/kb/search?q=护照", token=token)
    assert status == 200 and body["results"][0]["matter"] == "exit-entry-documents"
    status, _ = await h.http("GET", "/api/v1/kb/search?q=", token=token)
    assert status == 400
    status, _ = await h.http("GET", "/api/v1/kb/search?q=x&matter=nope", token=token)
    assert status == 400
    user_token = await h.user_token()
    status, _ = await h.http("GET", "/api/v1/kb/search?q=护照", token=user_token)
    assert status == 403

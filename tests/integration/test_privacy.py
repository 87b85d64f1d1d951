"""Personal information through the real system: retention windows delete old documents (GridFS bytes and
Rasa trackers included), an administrator erases one citizen's data (API and command) with an audit entry,
and an ID number typed to the bot reaches the unanswered ledger masked."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid

import pytest
from pymongo import AsyncMongoClient

from core.clock import now
from media.store import MediaStore
from ops.system import System
from tests.integration.systems import MultiHarness, harness, start_own_system
from tests.support import Harness, cmid, start_conversation

TINY_DAYS = "0.00003"  # 2.6 s


@pytest.fixture(scope="module")
def short_lived() -> System:
    retention = {f"RETENTION_{k}_DAYS": TINY_DAYS
                 for k in ("MESSAGES", "MEDIA", "RECORDINGS", "COBROWSE", "UNANSWERED", "TRACKERS")}
    system = start_own_system("retention", bridges=1, RETENTION_SWEEP_S="0.5", **retention)
    yield system
    system.stop()


async def seed_personal_data(h: Harness, conv_id: str) -> dict[str, str]:
    """Media with GridFS bytes, a recording, a co-browse event, a ledger entry and a Rasa tracker of `conv_id`."""
    store = MediaStore(h.store.db, h.store.media)
    who = {"id": "system", "role": "system", "name": "测试"}
    image = await store.put(conversation_id=conv_id, kind="image", mime="image/png", data=b"x" * 300_000, uploader=who)
    rec = await store.put(conversation_id=conv_id, kind="recording", mime="audio/mp4", data=b"r" * 1000, uploader=who)
    await h.store.cobrowse_events.insert_one({"conversation_id": conv_id, "ts": now(), "events": []})
    await h.store.ratings.insert_one({"conversation_id": conv_id, "target": "bot", "score": 5})
    await h.store.unanswered.insert_one({"_id": uuid.uuid4().hex, "question": "q", "conversations": [conv_id],
                                         "status": "open", "last_asked": now()})
    await trackers(h).insert_one({"sender_id": conv_id, "events": [{"event": "user", "timestamp": time.time()}]})
    return {"image": image["_id"], "recording": rec["_id"]}


def trackers(h: Harness):
    client: AsyncMongoClient = h.store.client
    return client["rasa"]["conversations"]


async def stored(h: Harness, conv_id: str, media_ids: dict[str, str]) -> dict[str, int]:
    ids = list(media_ids.values())
    return {
        "messages": await h.store.messages.count_documents({"conversation_id": conv_id}),
        "media": await h.store.media.count_documents({"_id": {"$in": ids}}),
        "files": await h.store.db["media_fs.files"].count_documents({"metadata.conversation_id": conv_id}),
        "chunks": await h.store.db["media_fs.chunks"].count_documents(
            {"files_id": {"$in": [f"{i}.bin" for i in ids]}}),
        "cobrowse": await h.store.cobrowse_events.count_documents({"conversation_id": conv_id}),
        "trackers": await trackers(h).count_documents({"sender_id": conv_id}),
    }


async def test_expired_retention_window_removes_the_documents(short_lived: System):
    h = harness(short_lived)
    try:
        user = await h.user_on(0)
        conv_id = await start_conversation(user, "我想咨询公积金")
        media_ids = await seed_personal_data(h, conv_id)
        before = await stored(h, conv_id, media_ids)
        assert all(before.values()), before
        for _ in range(40):  # the window is 2.6 s, the sweep every 0.5 s
            left = await stored(h, conv_id, media_ids)
            if not any(left.values()):
                break
            await asyncio.sleep(0.5)
        assert not any(left.values()), left
        assert await h.store.unanswered.count_documents({"conversations": conv_id}) == 0
    finally:
        await h.close_clients()
        await h.store.close()


async def citizen_with_data(h: MultiHarness) -> tuple[str, str, dict[str, str]]:
    sub = f"u-erase-{uuid.uuid4().hex[:8]}"
    user = await h.user_on(0, sub)
    conv_id = await start_conversation(user, "我的手机号是13812345678")
    return sub, conv_id, await seed_personal_data(h, conv_id)


async def test_erasure_request_removes_a_citizens_data_and_leaves_an_audit_entry(lh: MultiHarness):
    sub, conv_id, media_ids = await citizen_with_data(lh)
    _, other_conv, other_media = await citizen_with_data(lh)
    supervisor, _ = await lh.make_staff(["housing-fund"], "supervisor")
    status, body = await lh.http("POST", f"/api/v1/admin/users/{sub}/erase", token=await lh.staff_token(supervisor))
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert all((await stored(lh, conv_id, media_ids)).values())

    admin, _ = await lh.make_staff([], "admin")
    status, body = await lh.http("POST", f"/api/v1/admin/users/{sub}/erase", token=await lh.staff_token(admin))
    assert status == 200, body
    assert body["counts"]["conversations"] == 1 and body["counts"]["media"] == 2 and body["counts"]["trackers"] == 1
    assert not any((await stored(lh, conv_id, media_ids)).values())
    assert await lh.store.conversations.count_documents({"user.id": sub}) == 0
    assert await lh.store.ratings.count_documents({"conversation_id": conv_id}) == 0
    audit = await lh.store.audit.find_one({"kind": "erasure", "user_id": sub})
    assert audit and audit["by"]["id"] == admin and audit["counts"]["messages"] >= 1
    # the other citizen keeps everything
    assert all((await stored(lh, other_conv, other_media)).values())


async def test_erase_user_command(lh: MultiHarness):
    sub, conv_id, media_ids = await citizen_with_data(lh)
    env = {**os.environ, **lh.system.env()}
    out = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bridge.admin", "erase-user", "--user", sub],
                                  env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert sub in out.stdout and "审计" in out.stdout
    assert not any((await stored(lh, conv_id, media_ids)).values())
    assert await lh.store.audit.count_documents({"kind": "erasure", "user_id": sub}) == 1


async def test_id_number_typed_to_the_bot_reaches_the_unanswered_ledger_masked(h: Harness):
    """The citizen types an ID and a phone number to the bot, finds the answer unhelpful, the agent cannot
    solve it either: the question enters the ledger (which feeds NLU examples and KB articles) masked."""
    await h.reset_department("human-resources")
    agent = await h.agent(["human-resources"])
    user = await h.user()
    text = "失业金怎么领，要什么条件？我身份证号310101199001011234，电话13812345678"
    cid = await start_conversation(user, text)
    await user.wait_for("message", timeout=30, conversation_id=cid, pred=lambda d: d["sender"]["role"] == "bot")
    ack = await user.call("message", {"conversation_id": cid, "client_msg_id": cmid(), "type": "text",
                                      "text": "/feedback_unresolved"})
    assert ack["ok"], ack
    assigned = await agent.wait_for("assigned", timeout=20, pred=lambda d: d["conversation"]["id"] == cid)
    assert "310101199001011234" in str(assigned)  # the agent still sees the original
    ack = await agent.call("close", {"conversation_id": cid, "resolved": False})
    assert ack["ok"], ack
    entry = await h.store.unanswered.find_one({"conversations": cid})
    assert entry, "the question did not reach the unanswered ledger"
    assert "310101199001011234" not in str(entry) and "13812345678" not in str(entry)
    assert "310***********1234" in entry["question"] and "138****5678" in entry["question"]
    first = await h.store.messages.find_one({"conversation_id": cid, "seq": 1})
    assert first["text"] == text


async def test_staff_reads_of_transcripts_recordings_and_exports_are_audited(lh: MultiHarness):
    user = await lh.user_on(0)
    conv_id = await start_conversation(user, "驾照到期了在哪里换", matter="drivers-license")
    media_ids = await seed_personal_data(lh, conv_id)
    sup_name, _ = await lh.make_staff(["public-security"], "supervisor")
    sup = await lh.staff_token(sup_name)
    status, _ = await lh.http("GET", f"/api/v1/conversations/{conv_id}/transcript", token=sup)
    assert status == 200
    status, _ = await lh.http("GET", f"/api/v1/media/{media_ids['recording']}", token=sup)
    assert status == 200
    status, _ = await lh.http("GET", "/api/v1/ledger/export?format=csv", token=sup)
    assert status == 200
    reads = await lh.store.audit.find({"kind": "staff_read", "by.id": sup_name}).to_list(None)
    assert {(r["what"], r["target"]) for r in reads} == {
        ("transcript", conv_id), ("recording", media_ids["recording"]), ("export", "ledger")}
    # the citizen reading their own transcript is not a staff read
    status, _ = await lh.http("GET", f"/api/v1/conversations/{conv_id}/transcript", token=user.token)
    assert status == 200
    assert await lh.store.audit.count_documents({"kind": "staff_read", "target": conv_id}) == 1

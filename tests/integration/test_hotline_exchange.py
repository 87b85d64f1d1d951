"""The 12345 knowledge exchange against the hotline stand-in: two signed incremental exports, answers as drafts."""

from __future__ import annotations

import asyncio

import aiohttp

from core import signatures


async def _stand_in(system, method: str, path: str, **kw):
    async with aiohttp.ClientSession() as s, s.request(method, f"{system.hotline_url}{path}", **kw) as r:
        return r.status, await r.json()


async def _delivered(h, token: str, batch_id: str) -> dict:
    """The stand-in's record of `batch_id` once the outbox delivered it."""
    for _ in range(100):
        _, got = await _stand_in(h.system, "GET", "/knowledge/exports")
        for rec in got["exports"]:
            if rec["batch"]["batch_id"] == batch_id:
                assert got["posts"][batch_id] == 1
                return rec["batch"]
        await asyncio.sleep(0.2)
    raise AssertionError(f"batch {batch_id} never reached the stand-in")


async def _export(h, token: str, article_id: str) -> dict:
    """The delivered export holding `article_id` (a change younger than a second waits for the next one)."""
    for _ in range(20):
        status, body = await h.http("POST", "/api/v1/trainer/exchange/export", token=token)
        assert status == 200, body
        if body["batch"] is not None:
            batch = await _delivered(h, token, body["batch"]["id"])
            if any(a["id"] == article_id for a in batch["articles"]):
                return batch
        await asyncio.sleep(0.5)
    raise AssertionError(f"no export held {article_id}")


async def _publish(h, token: str, article_id: str, answer: str) -> dict:
    status, body = await h.http("GET", "/api/v1/trainer/kb/articles?matter=housing-fund-loan", token=token)
    art = next(a for a in body["articles"] if a["id"] == article_id)
    data = {k: art[k] for k in ("id", "matter", "aspect", "title", "question", "steps", "source")}
    status, body = await h.http("POST", "/api/v1/trainer/kb/articles", token=token, json={**data, "answer": answer})
    assert status == 200 and body["applied"], body
    return body["article"]


async def test_incremental_signed_exports_and_answers_back_as_drafts(h):
    username, _ = await h.make_staff([], "trainer")
    token = await h.staff_token(username)
    agent, _ = await h.make_staff(["housing-fund"], "agent")
    status, _ = await h.http("POST", "/api/v1/trainer/exchange/export", token=await h.staff_token(agent))
    assert status == 403

    first = await _publish(h, token, "housing-fund-loan.offline", "请携带身份证件到公积金中心网点办理（第一次导出）。")
    batch1 = await _export(h, token, first["id"])
    assert any(a["id"] == first["id"] and a["version"] == first["version"] for a in batch1["articles"])

    second = await _publish(h, token, "housing-fund-loan.materials", "身份证、购房合同、收入证明（第二次导出）。")
    batch2 = await _export(h, token, second["id"])
    assert [(a["id"], a["version"], a["status"]) for a in batch2["articles"]] == \
        [(second["id"], second["version"], "live")]  # only what changed since the first
    assert batch2["articles"][0]["answer"] == second["answer"] and batch2["articles"][0]["effective_date"]
    assert batch2["since"] == batch1["until"]
    status, body = await h.http("POST", "/api/v1/trainer/exchange/export", token=token)
    assert status == 200 and body["batch"] is None  # nothing changed since

    # the stand-in refuses what is not signed with the shared secret
    status, _ = await _stand_in(h.system, "POST", "/knowledge/exports", data=b"{}",
                                headers=signatures.signed_headers("wrong-secret", b"{}"))
    assert status == 401

    # the hotline's answers: newer than ours -> draft; based on an older version -> stale; a new question -> draft
    newer = {"article_id": second["id"], "question": "公积金贷款要带什么材料？", "base_version": second["version"],
             "answer": "身份证、购房合同、收入证明及婚姻状况证明（12345）。",
             "effective_date": second["effective_date"]}
    older = {"article_id": first["id"], "question": "去哪里办理？", "answer": "到区服务中心办理（12345旧答复）。",
             "base_version": first["version"] - 1, "effective_date": "2020-01-01"}
    fresh = {"matter": "housing-fund-loan", "question": "公积金贷款可以线上申请吗？",
             "answer": "可以在随申办申请（12345）。"}
    ids = []
    for answer in (newer, older, fresh):
        status, got = await _stand_in(h.system, "POST", "/admin/answers", json=answer)
        assert status == 201
        ids.append(got["id"])
    status, counts = await h.http("POST", "/api/v1/trainer/exchange/import", token=token)
    assert status == 200, counts
    for _ in range(50):  # the periodic job may have pulled them first
        status, view = await h.http("GET", "/api/v1/trainer/exchange", token=token)
        outcome = {a["answer_id"]: a["outcome"] for a in view["answers"]}
        if all(i in outcome for i in ids):
            break
        await asyncio.sleep(0.2)
    assert [outcome[i] for i in ids] == ["drafted", "stale", "drafted"]
    status, body = await h.http("GET", "/api/v1/trainer/drafts", token=token)
    drafts = {d["hotline"]["id"]: d for d in body["drafts"] if d["source"] == "12345"}
    assert set(drafts) >= {ids[0], ids[2]} and ids[1] not in drafts
    assert drafts[ids[0]]["article_id"] == second["id"] and drafts[ids[0]]["answer"] == newer["answer"]
    assert drafts[ids[2]]["matter"] == "housing-fund-loan" and drafts[ids[2]]["status"] == "pending"
    # never live directly: our article still says what we published
    status, body = await h.http("GET", "/api/v1/trainer/kb/articles?matter=housing-fund-loan", token=token)
    assert next(a for a in body["articles"] if a["id"] == second["id"])["answer"] == second["answer"]
    # a second import takes nothing twice
    status, counts = await h.http("POST", "/api/v1/trainer/exchange/import", token=token)
    assert status == 200 and counts["drafted"] == counts["stale"] == 0

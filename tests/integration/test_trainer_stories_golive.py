"""An interactive-learning session saved as a test story decides go-live: a candidate model that breaks it
is not put live, the fixed one is (two real trainings on the session's system)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

RULE = {"name": "explicit request for a human", "steps": [{"intent": "request_human"}, {"action": "action_handoff"}]}
TEST_NAME = "开口就要人工"


def project_file(rel: str) -> Path:
    return Path(os.environ["BANGBAN_TRAINER_ROOT"]) / rel


async def train(h, token: str) -> dict:
    status, body = await h.http("POST", "/api/v1/trainer/train", token=token)
    assert status == 202, body
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        await asyncio.sleep(3)
        status, body = await h.http("GET", f"/api/v1/trainer/train/{body['job']['id']}", token=token)
        if body["job"]["status"] != "running":
            return body["job"]
    raise AssertionError("training did not finish")


@pytest.mark.timeout(2000)
async def test_learned_test_story_fails_go_live_when_broken_and_passes_when_fixed(h):
    username, _ = await h.make_staff([], "trainer")
    token = await h.staff_token(username)
    learned, rules = project_file("data/test_stories/learned.yml"), project_file("data/rules.yml")
    learned_before, rules_before = learned.read_text(encoding="utf-8"), rules.read_text(encoding="utf-8")
    try:
        # the session: the trainer asks for a person at once; the model hands off
        status, turn = await h.http("POST", "/api/v1/trainer/learn", token=token, json={"text": "我要找人工客服"})
        assert status == 200 and turn["intent"] == "request_human", turn
        assert [a["name"] for a in turn["actions"]] == ["action_handoff"]
        session = [{"text": turn["text"], "intent": turn["intent"], "actions": ["action_handoff"]}]
        status, body = await h.http("POST", "/api/v1/trainer/learn/save", token=token,
                                    json={"name": TEST_NAME, "save_as": "test", "turns": session})
        assert status == 200 and body["changed"], body

        # someone deletes the rule that hands off a request for a person: the candidate breaks the test story
        status, body = await h.http("DELETE", "/api/v1/trainer/stories", token=token,
                                    json={"kind": "rule", "name": RULE["name"]})
        assert status == 200 and body["changed"], body
        job = await train(h, token)
        assert job["status"] == "rejected", job
        tests = job["evaluation"]["story_tests"]
        assert TEST_NAME in tests["failed"] and "测试故事" in job["evaluation"]["verdict"], job["evaluation"]
        mine = next(r for r in tests["results"] if r["name"] == TEST_NAME)
        assert [(s["expected"], s["ok"]) for s in mine["steps"] if s["kind"] == "action"] == [("action_handoff", False)]
        status, body = await h.http("GET", "/api/v1/trainer/story-tests", token=token)
        assert status == 200 and TEST_NAME in body["last"]["failed"] and body["last"]["job"] == job["id"]
        # interactive learning now talks to that candidate, which no longer hands off
        status, turn = await h.http("POST", "/api/v1/trainer/learn", token=token, json={"text": "我要找人工客服"})
        assert status == 200 and turn["model"] == "candidate"
        assert [a["name"] for a in turn["actions"]][:1] != ["action_handoff"], turn

        # the rule is written back in the editor: the next candidate passes every test story and goes live
        status, body = await h.http("PUT", "/api/v1/trainer/stories", token=token,
                                    json={"kind": "rule", "story": RULE})
        assert status == 200 and body["changed"], body
        job = await train(h, token)
        assert job["status"] == "done", job
        tests = job["evaluation"]["story_tests"]
        assert tests["failed"] == [] and tests["total"] == tests["passed"] >= 1, tests
        status, body = await h.http("POST", "/api/v1/trainer/story-tests/run", token=token)
        assert status == 200 and body["which"] == "candidate" and not body["failed"], body
    finally:
        learned.write_text(learned_before, encoding="utf-8")
        rules.write_text(rules_before, encoding="utf-8")

"""Structured story editor, diagram, interactive learning and story tests through HTTP (real system, real Rasa)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

STORY = {"name": "办居住证，问材料，谢谢", "steps": [
    {"intent": "ask_matter", "entities": [{"matter": "residence-permit"}]}, {"action": "action_answer"},
    {"intent": "ask_materials"}, {"action": "action_answer"}, {"intent": "thanks"}, {"action": "action_smalltalk"}]}


def project_file(rel: str) -> Path:
    return Path(os.environ["BANGBAN_TRAINER_ROOT"]) / rel


async def trainer(h) -> str:
    username, _ = await h.make_staff([], "trainer")
    return await h.staff_token(username)


async def test_stories_are_listed_checked_saved_renamed_drawn_and_deleted(h):
    token = await trainer(h)
    stories_file = project_file("data/stories.yml")
    before = stories_file.read_text(encoding="utf-8")
    before_names = [s["story"] for s in yaml.safe_load(before)["stories"]]
    status, body = await h.http("GET", "/api/v1/trainer/stories", token=token)
    assert status == 200 and body["stories"] and body["rules"] and body["tests"]
    greet = next(i for i in body["domain"]["intents"] if i["name"] == "greet")
    assert greet["example"] and "action_answer" in body["domain"]["actions"]
    assert body["stories"][0]["steps"][0] == {"intent": "greet"}

    # an unknown intent: found by the step check, placed on its step, refused
    broken = {**STORY, "steps": [*STORY["steps"][:2], {"intent": "ask_nothing_known"}, *STORY["steps"][3:]]}
    status, body = await h.http("POST", "/api/v1/trainer/stories/check", token=token,
                                json={"kind": "story", "story": broken})
    assert status == 200 and not body["ok"] and [f["step"] for f in body["findings"]] == [2]
    assert "ask_nothing_known" in body["findings"][0]["message"]
    status, body = await h.http("PUT", "/api/v1/trainer/stories", token=token, json={"kind": "story", "story": broken})
    assert status == 422 and body["error"]["findings"][0]["step"] == 2
    assert stories_file.read_text(encoding="utf-8") == before

    # Rasa's own validation: a story-structure conflict (a warning of `rasa data validate`) is placed on the
    # step after which the stories part, and refuses the story
    conflict = {"name": "问好就答", "steps": [{"intent": "greet"}, {"action": "action_answer"}]}
    status, body = await h.http("POST", "/api/v1/trainer/stories/check", token=token,
                                json={"kind": "story", "story": conflict})
    assert status == 200 and not body["ok"] and body["stage"] == "rasa", body
    assert [(f["step"], f["level"]) for f in body["findings"]] == [(0, "warning")]
    assert "Story structure conflict" in body["findings"][0]["message"]
    status, body = await h.http("PUT", "/api/v1/trainer/stories", token=token,
                                json={"kind": "story", "story": conflict})
    assert status == 422 and body["error"]["findings"][0]["step"] == 0
    assert stories_file.read_text(encoding="utf-8") == before

    status, body = await h.http("POST", "/api/v1/trainer/stories/check", token=token,
                                json={"kind": "story", "story": STORY})
    assert status == 200 and body["ok"] and body["stage"] == "rasa" and body["findings"] == []

    status, body = await h.http("PUT", "/api/v1/trainer/stories", token=token, json={"kind": "story", "story": STORY})
    assert status == 200 and body["changed"], body
    text = stories_file.read_text(encoding="utf-8")
    assert text.startswith(before.rstrip("\n")) and "- story: 办居住证，问材料，谢谢\n" in text
    saved = next(s for s in yaml.safe_load(text)["stories"] if s["story"] == STORY["name"])
    assert saved["steps"] == STORY["steps"]

    status, body = await h.http("GET", "/api/v1/trainer/stories/graph?kind=story", token=token)
    assert status == 200
    path = [n for n in body["nodes"] if STORY["name"] in n["stories"]]
    assert [n["label"] for n in path][:3] == ["START", "ask_matter {matter=residence-permit}", "action_answer"]
    assert path[-1]["label"] == "END"

    renamed = {**STORY, "name": "居住证材料"}
    status, body = await h.http("PUT", "/api/v1/trainer/stories", token=token,
                                json={"kind": "story", "story": renamed, "old_name": STORY["name"]})
    assert status == 200 and body["changed"]
    names = [s["story"] for s in yaml.safe_load(stories_file.read_text(encoding="utf-8"))["stories"]]
    assert "居住证材料" in names and STORY["name"] not in names
    status, _ = await h.http("PUT", "/api/v1/trainer/stories", token=token,
                             json={"kind": "story", "story": {**STORY, "name": names[0]}, "old_name": "居住证材料"})
    assert status == 409  # the name of another story
    # moved one place up, then down again (Rasa validates each order)
    status, body = await h.http("POST", "/api/v1/trainer/stories/move", token=token,
                                json={"kind": "story", "name": "居住证材料", "by": -1})
    assert status == 200 and body["changed"], body
    names = [s["story"] for s in yaml.safe_load(stories_file.read_text(encoding="utf-8"))["stories"]]
    assert names[-2:] == ["居住证材料", before_names[-1]]
    status, _ = await h.http("POST", "/api/v1/trainer/stories/move", token=token,
                             json={"kind": "story", "name": "居住证材料", "by": 1})
    assert status == 200
    status, _ = await h.http("POST", "/api/v1/trainer/stories/move", token=token,
                             json={"kind": "story", "name": "居住证材料", "by": 1})
    assert status == 409  # already the last one
    status, body = await h.http("DELETE", "/api/v1/trainer/stories", token=token,
                                json={"kind": "story", "name": "居住证材料"})
    assert status == 200 and stories_file.read_text(encoding="utf-8") == before
    status, _ = await h.http("DELETE", "/api/v1/trainer/stories", token=token, json={"kind": "story", "name": "nope"})
    assert status == 404

    status, body = await h.http("GET", "/api/v1/trainer/history?target=data/stories.yml", token=token)
    assert [e["action"] for e in body["history"][:5]] == ["story_delete", "story_move", "story_move", "story_save",
                                                         "story_save"]


async def test_learning_predicts_corrects_and_saves_a_test_story(h):
    token = await trainer(h)
    learned = project_file("data/test_stories/learned.yml")
    before = learned.read_text(encoding="utf-8")
    status, first = await h.http("POST", "/api/v1/trainer/learn", token=token, json={"text": "你好"})
    assert status == 200 and first["intent"] == "greet" and first["ranking"][0]["name"] == "greet"
    assert [a["name"] for a in first["actions"]] == ["action_smalltalk"] and first["model"] in ("candidate", "live")
    turns = [{"text": "你好", "intent": "greet", "actions": ["action_smalltalk"]}]
    status, second = await h.http("POST", "/api/v1/trainer/learn", token=token,
                                  json={"turns": turns, "text": "我的身份证号310101199001011234，要找人工"})
    assert status == 200 and second["intent"] == "request_human", second
    assert "310101199001011234" not in second["text"]  # masked before it reaches the model
    assert [a["name"] for a in second["actions"]] == ["action_handoff"]
    # the trainer corrects the intent: the next action follows the correction
    status, corrected = await h.http("POST", "/api/v1/trainer/learn", token=token,
                                     json={"turns": turns, "text": "好的", "intent": "thanks"})
    assert status == 200 and corrected["intent"] == "thanks" and corrected["actions"][0]["name"] == "action_smalltalk"

    turns.append({"text": "我的身份证号310101199001011234，要找人工", "intent": "request_human",
                  "actions": ["action_handoff"]})
    try:
        status, body = await h.http("POST", "/api/v1/trainer/learn/save", token=token,
                                    json={"name": "问好后要人工", "save_as": "test", "turns": turns})
        assert status == 200 and body["changed"], body
        saved = learned.read_text(encoding="utf-8")
        assert saved.startswith(before.rstrip("\n")) and "310101199001011234" not in saved
        story = next(s for s in yaml.safe_load(saved)["stories"] if s["story"] == "问好后要人工")
        assert story["steps"][:2] == [{"user": "你好", "intent": "greet"}, {"action": "action_smalltalk"}]
        status, body = await h.http("GET", "/api/v1/trainer/story-tests", token=token)
        assert status == 200 and any(t["name"] == "问好后要人工" for t in body["tests"])
        status, body = await h.http("POST", "/api/v1/trainer/story-tests/run", token=token)
        assert status == 200 and body["total"] == len(yaml.safe_load(saved)["stories"]) and not body["failed"], body
        mine = next(r for r in body["results"] if r["name"] == "问好后要人工")
        assert mine["passed"] and [s["kind"] for s in mine["steps"]] == ["intent", "action", "intent", "action"]
    finally:
        learned.write_text(before, encoding="utf-8")

    # a session saved as a training story goes through the editor's validation
    stories_file = project_file("data/stories.yml")
    stories_before = stories_file.read_text(encoding="utf-8")
    status, body = await h.http("POST", "/api/v1/trainer/learn/save", token=token,
                                json={"name": "问好后要人工", "save_as": "story", "turns": turns})
    assert status == 200 and body["changed"], body
    story = yaml.safe_load(stories_file.read_text(encoding="utf-8"))["stories"][-1]
    assert story == {"story": "问好后要人工", "steps": [{"intent": "greet"}, {"action": "action_smalltalk"},
                                                    {"intent": "request_human"}, {"action": "action_handoff"}]}
    status, _ = await h.http("DELETE", "/api/v1/trainer/stories", token=token,
                             json={"kind": "story", "name": "问好后要人工"})
    assert status == 200 and stories_file.read_text(encoding="utf-8") == stories_before

    agent, _ = await h.make_staff(["housing-fund"], "agent")
    status, _ = await h.http("POST", "/api/v1/trainer/learn", token=await h.staff_token(agent), json={"text": "你好"})
    assert status == 403

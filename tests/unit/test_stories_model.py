"""Stories as steps: read, write one item back (the rest of the file untouched), check steps, place findings."""

from __future__ import annotations

import pytest
import yaml

from bridge.trainer import stories_model as sm

STORIES = """version: "3.1"

# a comment that must survive
stories:
- story: ask, answer, solved
  steps:
  - intent: greet
  - action: action_smalltalk
  - intent: ask_materials
    entities:
    - matter: housing-fund-withdrawal
  - action: action_answer

# before the second story
- story: technical fault then a human
  steps:
  - intent: platform_tech
  - action: action_platform_tech
"""
DOMAIN = {"intents": {"greet", "ask_materials", "platform_tech", "thanks"}, "entities": {"matter"},
          "actions": {"action_smalltalk", "action_answer", "action_platform_tech", "action_listen"}}


def test_parse_and_blocks() -> None:
    stories = sm.parse(STORIES, "story")
    assert [s["name"] for s in stories] == ["ask, answer, solved", "technical fault then a human"]
    assert stories[0]["steps"][2] == {"intent": "ask_materials", "entities": [{"matter": "housing-fund-withdrawal"}]}
    first, second = sm.blocks(STORIES, "story")
    lines = STORIES.splitlines()
    assert lines[first.start].startswith("- story: ask") and lines[first.end - 1] == "  - action: action_answer"
    assert lines[second.end - 1] == "  - action: action_platform_tech"


def test_upsert_rename_and_delete_keep_the_rest() -> None:
    new = {"name": "greet then thanks", "steps": [{"intent": "greet", "entities": []}, {"action": "action_smalltalk"},
                                                   {"intent": "thanks", "user": ""}]}
    added = sm.upsert(STORIES, "story", new)
    assert added.startswith(STORIES) and added.endswith(
        "\n- story: greet then thanks\n  steps:\n  - intent: greet\n  - action: action_smalltalk\n  - intent: thanks\n")
    assert sm.parse(added, "story")[-1]["steps"][2] == {"intent": "thanks"}
    renamed = sm.upsert(added, "story", {**new, "name": "你好，谢谢"}, old_name="greet then thanks")
    assert [s["name"] for s in sm.parse(renamed, "story")][-1] == "你好，谢谢"
    assert sm.delete(renamed, "story", "你好，谢谢") == STORIES
    swapped = sm.upsert(STORIES, "story", {"name": "ask, answer, solved", "steps": [{"intent": "greet"}]})
    assert "# a comment that must survive" in swapped and "# before the second story" in swapped
    assert sm.parse(swapped, "story")[0]["steps"] == [{"intent": "greet"}]
    assert yaml.safe_load(swapped)["version"] == "3.1"
    with pytest.raises(sm.StoryError):
        sm.upsert(STORIES, "story", {"name": "technical fault then a human", "steps": []},
                  old_name="ask, answer, solved")
    with pytest.raises(sm.StoryError):
        sm.delete(STORIES, "story", "no such story")


def test_rules_keep_their_conditions() -> None:
    rules = 'rules:\n- rule: r\n  conversation_start: true\n  steps:\n  - intent: greet\n  - action: action_smalltalk\n'
    rule = sm.parse(rules, "rule")[0]
    assert rule["conversation_start"] is True
    assert sm.upsert(rules, "rule", rule) == rules


def test_step_problems_name_the_step() -> None:
    story = {"name": "s", "steps": [{"intent": "greet"}, {"action": "action_smalltalk"}, {"intent": "nosuch"},
                                    {"action": "action_nope"},
                                    {"intent": "ask_materials", "entities": [{"city": "x"}]}]}
    found = sm.step_problems(story, DOMAIN)
    assert [f["step"] for f in found] == [2, 3, 4]
    assert "nosuch" in found[0]["message"] and "action_nope" in found[1]["message"] and "city" in found[2]["message"]
    assert sm.step_problems({"name": "", "steps": []}, DOMAIN)[0]["step"] is None


def test_rasa_findings_are_placed_on_the_steps_they_quote() -> None:
    story = {"name": "broken one", "steps": [{"intent": "greet"}, {"action": "action_smalltalk"},
                                             {"intent": "nosuch_intent"}, {"action": "action_nope"}]}
    messages = [
        "Issue found in '/tmp/bangban-trainer-9fnsqalm/data/stories.yml': \nFound intent 'nosuch_intent' in stories",
        "The action 'action_nope' is used in the 'broken one' block, but it is not listed in the domain file.",
        "Story structure conflict after intent 'greet': 'other story' predicts action_answer",
        "Something about 'somewhere' else",
    ]
    mine, other = sm.place_findings(messages, story, {"broken one", "other story"})
    assert [f["step"] for f in mine] == [2, 3]
    assert "/tmp/" not in mine[0]["message"] and "data/stories.yml" in mine[0]["message"]
    assert other == messages[2:]


def test_graph_shares_beginnings_and_ends_in_one_node() -> None:
    from bridge.trainer.stories_graph import graph

    stories = sm.parse(STORIES, "story") + [{"name": "greet twice", "steps": [
        {"intent": "greet"}, {"action": "action_smalltalk"}, {"intent": "greet"}, {"action": "action_smalltalk"}]}]
    g = graph(stories)
    labels = [n["label"] for n in g["nodes"]]
    assert labels.count("START") == labels.count("END") == 1
    assert labels.count("greet") == 2  # the first greet is shared, the second one is a new turn
    assert "ask_materials {matter=housing-fund-withdrawal}" in labels
    first_greet = next(n for n in g["nodes"] if n["label"] == "greet")
    assert first_greet["stories"] == ["ask, answer, solved", "greet twice"] and first_greet["depth"] == 1
    end = g["nodes"][-1]
    assert sorted(e["source"] for e in g["edges"] if e["target"] == end["id"]) == sorted(
        n["id"] for n in g["nodes"] if n["label"] in ("action_answer", "action_platform_tech")
        or (n["label"] == "action_smalltalk" and n["depth"] == 4))


def test_turns_and_steps_convert_both_ways() -> None:
    steps = [{"user": "你好", "intent": "greet"}, {"action": "action_smalltalk"},
             {"user": "公积金怎么取", "intent": "ask_process", "entities": [{"matter": "housing-fund-withdrawal"}]},
             {"action": "action_answer"}]
    turns = sm.turns_of(steps)
    assert turns[1] == {"text": "公积金怎么取", "intent": "ask_process", "actions": ["action_answer"],
                        "entities": [{"entity": "matter", "value": "housing-fund-withdrawal"}]}
    assert sm.steps_of(turns, with_user=True) == steps
    assert sm.steps_of(turns, with_user=False)[0] == {"intent": "greet"}
    assert sm.clean("a\x00b\udc80c ") == "abc"


def test_test_stories_of_a_folder_and_an_unreadable_file(tmp_path) -> None:
    from bridge.trainer.story_tests import cases

    folder = tmp_path / "data" / "test_stories"
    folder.mkdir(parents=True)
    (folder / "a.yml").write_text('stories:\n- story: s\n  steps:\n  - user: "[居住证](matter)怎么办"\n'
                                  '    intent: ask_matter\n  - action: action_answer\n', encoding="utf-8")
    (folder / "b.yml").write_text("stories: [\n", encoding="utf-8")
    found = cases(tmp_path)
    assert found[0] == {"name": "s", "file": "data/test_stories/a.yml", "turns": [
        {"text": "居住证怎么办", "intent": "ask_matter", "entities": [], "actions": ["action_answer"]}]}
    assert found[1]["file"] == "data/test_stories/b.yml" and "无法读取" in found[1]["error"]


def test_move_swaps_neighbours_and_keeps_the_lines_between() -> None:
    down = sm.move(STORIES, "story", "ask, answer, solved", 1)
    assert [s["name"] for s in sm.parse(down, "story")] == ["technical fault then a human", "ask, answer, solved"]
    assert "# before the second story" in down and down.count("\n\n") == STORIES.count("\n\n")
    assert sm.move(down, "story", "ask, answer, solved", -1) == STORIES
    with pytest.raises(sm.StoryNotFound):
        sm.move(STORIES, "story", "nope", 1)
    with pytest.raises(sm.StoryError):
        sm.move(STORIES, "story", "ask, answer, solved", -1)

"""Dialogue commands of the Rasa worker (`rasa_worker.py`): interactive learning and story tests.

Run by the Rasa venv's Python 3.10 (no newer syntax, nothing from the bridge). A conversation is a
list of turns `{"text", "intent", "entities": [{"entity", "value"}], "actions": [...]}`.

    {"cmd": "learn", "model", "turns", "text", "intent"?} -> the parse of `text` after `turns` and the
        actions the model predicts next (until it would listen)
    {"cmd": "story_test", "model", "stories": [{"name", "file", "turns"}]} -> per story, like
        `rasa test`: each user text parsed (its intent compared) and each action predicted from the
        story's own events so far (compared); the story passes when every step matches.
"""

import asyncio
import os

MAX_ACTIONS = 4
_CACHE = {}


def _agent(model):
    """The loaded model, kept while the file stays the same (the candidate's path is reused by each training)."""
    from rasa.core.agent import Agent

    stat = os.stat(model)
    key = (model, stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = Agent.load(model)
    return _CACHE[key]


def _parse(agent, text):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(agent.parse_message(text))
    finally:
        loop.close()


def _user(turn, parse=None):
    from rasa.shared.core.events import UserUttered

    entities = [{"entity": e["entity"], "value": e["value"]} for e in turn.get("entities") or []]
    return UserUttered(turn.get("text") or "", {"name": turn["intent"], "confidence": 1.0}, entities,
                       parse_data=parse)


def _history(turns):
    """Events of the conversation so far: the user's (gold) turns, the bot's actions, listening."""
    from rasa.shared.core.events import ActionExecuted

    events = [ActionExecuted("action_listen")]
    for turn in turns:
        if turn.get("intent"):
            events.append(_user(turn))
        events += [ActionExecuted(a) for a in turn.get("actions") or []]
        events.append(ActionExecuted("action_listen"))
    return events


def _tracker(agent, events):
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker.from_events("bangban-trainer", events, slots=agent.domain.slots)


def _predict(agent, tracker):
    out = agent.processor.predict_next_with_tracker(tracker)
    best = max(out["scores"], key=lambda s: s["score"])
    return {"name": best["action"], "confidence": round(float(best["score"]), 4), "policy": out.get("policy")}


def learn(req):
    from rasa.shared.core.events import ActionExecuted

    agent = _agent(req["model"])
    parse = _parse(agent, req["text"])
    intent = req.get("intent") or (parse.get("intent") or {}).get("name")
    entities = req.get("entities")
    if entities is None:
        entities = [{"entity": e["entity"], "value": e["value"], "text": e.get("text") or ""}
                    for e in parse.get("entities") or []]
    tracker = _tracker(agent, _history(req.get("turns") or []))
    tracker.update(_user({"text": req["text"], "intent": intent, "entities": entities}))
    actions = []
    for _ in range(MAX_ACTIONS):
        pred = _predict(agent, tracker)
        if pred["name"] == "action_listen":
            break
        actions.append(pred)
        tracker.update(ActionExecuted(pred["name"]))
    ranking = [{"name": r.get("name"), "confidence": r.get("confidence")}
               for r in (parse.get("intent_ranking") or [])[:5]]
    return {"ok": True, "text": req["text"], "intent": intent, "parsed": parse.get("intent") or {},
            "ranking": ranking, "entities": entities, "actions": actions}


def _test_one(agent, story):
    from rasa.shared.core.events import ActionExecuted

    steps = []
    tracker = _tracker(agent, _history([]))
    for t, turn in enumerate(story["turns"]):
        if turn.get("intent"):
            if turn.get("text"):
                got = (_parse(agent, turn["text"]).get("intent") or {}).get("name")
                steps.append({"turn": t, "kind": "intent", "text": turn["text"], "expected": turn["intent"],
                              "got": got, "ok": got == turn["intent"]})
            tracker.update(_user(turn))
        last = t == len(story["turns"]) - 1
        for action in list(turn.get("actions") or []) + ([] if last else ["action_listen"]):
            got = _predict(agent, tracker)["name"]
            if action != "action_listen" or got != action:
                steps.append({"turn": t, "kind": "action", "expected": action, "got": got, "ok": got == action})
            tracker.update(ActionExecuted(action))
    return {"name": story["name"], "file": story.get("file"), "passed": all(s["ok"] for s in steps), "steps": steps}


def story_test(req):
    agent = _agent(req["model"])
    return {"ok": True, "results": [_test_one(agent, s) for s in req["stories"]]}


COMMANDS = {"learn": learn, "story_test": story_test}

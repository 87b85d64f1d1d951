"""The graph of the stories as `rasa visualize` draws it: START, the user intents and bot actions, END.

Stories that begin alike share their first nodes (a prefix tree), so where conversations part is
visible; every story ends in the one END node. Each node lists the stories that pass through it,
so the console can highlight one story's path. Pure: stories in, `{nodes, edges}` out.
"""

from __future__ import annotations

from typing import Any

from bridge.trainer.stories_model import STEP_KEYS


def step_label(step: dict[str, Any]) -> tuple[str, str]:
    """(kind, label) of one step: intent, action, slot, loop or other."""
    if "intent" in step:
        ents = ", ".join(f"{k}={v}" for e in step.get("entities") or [] if isinstance(e, dict) for k, v in e.items())
        return "intent", str(step["intent"]) + (f" {{{ents}}}" if ents else "")
    if "action" in step:
        return "action", str(step["action"])
    if "slot_was_set" in step:
        parts = [f"{k}={v}" for s in step["slot_was_set"] or [] if isinstance(s, dict) for k, v in s.items()]
        return "slot", "slot: " + ", ".join(parts or map(str, step["slot_was_set"] or []))
    if "active_loop" in step:
        return "loop", f"loop: {step['active_loop']}"
    key = next((k for k in step if k not in STEP_KEYS), "?")
    return "other", f"{key}: {step.get(key)}"


def graph(stories: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Nodes `{id, kind, label, depth, stories}` and edges `{source, target, stories}` of the stories."""
    nodes: list[dict[str, Any]] = [{"id": 0, "kind": "start", "label": "START", "depth": 0, "stories": []}]
    children: dict[tuple[int, str, str], int] = {}
    edges: dict[tuple[int, int], list[str]] = {}
    ends: list[tuple[int, str]] = []
    for story in stories:
        name = story["name"]
        nodes[0]["stories"].append(name)
        at = 0
        for step in story.get("steps") or []:
            kind, label = step_label(step)
            key = (at, kind, label)
            if key not in children:
                children[key] = len(nodes)
                nodes.append({"id": len(nodes), "kind": kind, "label": label, "depth": nodes[at]["depth"] + 1,
                              "stories": []})
            nxt = children[key]
            nodes[nxt]["stories"].append(name)
            edges.setdefault((at, nxt), []).append(name)
            at = nxt
        ends.append((at, name))
    end = {"id": len(nodes), "kind": "end", "label": "END",
           "depth": max((nodes[a]["depth"] for a, _ in ends), default=0) + 1, "stories": [n for _, n in ends]}
    nodes.append(end)
    for at, name in ends:
        edges.setdefault((at, end["id"]), []).append(name)
    return {"nodes": nodes, "edges": [{"source": s, "target": t, "stories": names} for (s, t), names in edges.items()]}

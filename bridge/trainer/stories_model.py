"""Stories and rules as steps: read them from Rasa YAML, write one back, check its steps.

Pure functions (text in, text out). A story is `{"name", "steps": [...]}` whose steps keep Rasa's
own keys: `{"intent", "entities"?, "user"?}`, `{"action"}`, `{"slot_was_set": [...]}`,
`{"active_loop"}` (other step kinds such as checkpoints are kept as they are). Writing one story
replaces only its block of lines, so the rest of the file (comments included) is untouched.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import yaml

from bridge.trainer.nlu_files import plain

KINDS = {"story": ("stories", "story"), "rule": ("rules", "rule")}
STEP_KEYS = ("intent", "action", "slot_was_set", "active_loop")
_QUOTED = re.compile(r"'([^']+)'")
_TMP = re.compile(r"/tmp/bangban-[a-z]+-[^/']+/")


def clean(value: Any) -> Any:
    """`value` with control characters and lone surrogates dropped from every string (they cannot be written)."""
    if isinstance(value, str):
        return "".join(c for c in value if unicodedata.category(c) not in ("Cc", "Cs") or c in "\n\t").strip()
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


class StoryError(ValueError):
    """A story that cannot be written; the message is shown to the trainer (Chinese)."""


class StoryNotFound(StoryError):
    """The story to replace or delete is not in the file (any more)."""


@dataclass(frozen=True)
class Block:
    name: str
    start: int  # first line (the `- story:` header)
    end: int  # one past the last line of the item


def parse(text: str, kind: str) -> list[dict[str, Any]]:
    """The stories (or rules) of a file, each `{"name", "steps", ...other keys}`."""
    section, label = KINDS[kind]
    doc = yaml.safe_load(text) or {}
    out = []
    for item in doc.get(section) or []:
        if isinstance(item, dict):
            entry = {k: v for k, v in item.items() if k != label}
            entry["name"] = str(item.get(label, ""))
            entry["steps"] = list(item.get("steps") or [])
            out.append(entry)
    return out


def blocks(text: str, kind: str) -> list[Block]:
    """Where each item of the file is, by line; trailing blank and comment lines are not part of it."""
    _, label = KINDS[kind]
    lines = text.splitlines()
    header = re.compile(rf"^- {label}:\s*(.*?)\s*$")
    starts = [(i, m.group(1)) for i, line in enumerate(lines) if (m := header.match(line))]
    out = []
    for n, (start, raw) in enumerate(starts):
        stop = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        end = start + 1
        for j in range(start + 1, stop):
            line = lines[j]
            if line and not line.startswith((" ", "#", "-")):
                break  # another top-level key
            if line.strip() and not line.lstrip().startswith("#"):
                end = j + 1
        out.append(Block(str(yaml.safe_load(f"n: {raw}")["n"]) if raw else "", start, end))
    return out


def render(story: dict[str, Any], kind: str) -> str:
    """One story (or rule) as the lines of its YAML item."""
    _, label = KINDS[kind]
    item: dict[str, Any] = {label: story["name"]}
    item.update({k: v for k, v in story.items() if k not in ("name", "steps")})
    item["steps"] = [clean_step(s) for s in story["steps"]]
    return yaml.safe_dump([item], allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)


def clean_step(step: dict[str, Any]) -> dict[str, Any]:
    """A step with empty optional parts left out (`entities: []`, a blank `user`)."""
    return {k: v for k, v in step.items() if not (k in ("entities", "user") and not v)}


def _find(text: str, kind: str, name: str) -> Block | None:
    return next((b for b in blocks(text, kind) if b.name == name), None)


def upsert(text: str, kind: str, story: dict[str, Any], old_name: str | None = None) -> str:
    """The file with `story` replacing the item `old_name` (a rename) or its own name, else appended."""
    names = [b.name for b in blocks(text, kind)]
    if len(names) != len(parse(text, kind)):
        raise StoryError("文件中有无法按行定位的条目，请在 YAML 视图中检查。")
    target = old_name or story["name"]
    if story["name"] != target and story["name"] in names:
        raise StoryError(f"名称“{story['name']}”已被使用。")
    lines = text.splitlines()
    new = render(story, kind).splitlines()
    found = _find(text, kind, target)
    if found is None:
        if old_name:
            raise StoryNotFound(f"没有找到“{old_name}”（可能已被他人修改，请刷新）。")
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", *new]
    else:
        lines[found.start:found.end] = new
    return "\n".join(lines) + "\n"


def delete(text: str, kind: str, name: str) -> str:
    """The file without item `name` (and the blank line after it)."""
    found = _find(text, kind, name)
    if found is None:
        raise StoryNotFound(f"没有找到“{name}”（可能已被他人修改，请刷新）。")
    lines = text.splitlines()
    start, end = found.start, found.end
    if end < len(lines) and not lines[end].strip():
        end += 1
    elif start > 0 and not lines[start - 1].strip():
        start -= 1
    del lines[start:end]
    return "\n".join(lines) + "\n"


def move(text: str, kind: str, name: str, by: int) -> str:
    """The file with item `name` swapped with its neighbour `by` (-1: up, 1: down); the lines between stay."""
    found = blocks(text, kind)
    i = next((n for n, b in enumerate(found) if b.name == name), None)
    if i is None:
        raise StoryNotFound(f"没有找到“{name}”（可能已被他人修改，请刷新）。")
    if not 0 <= i + by < len(found):
        raise StoryError("已经在最前面了。" if by < 0 else "已经在最后面了。")
    first, second = sorted((found[i], found[i + by]), key=lambda b: b.start)
    lines = text.splitlines()
    lines[second.start:second.end], lines[first.start:first.end] = (lines[first.start:first.end],
                                                                      lines[second.start:second.end])
    return "\n".join(lines) + "\n"


def step_problems(story: dict[str, Any], domain: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Findings of one story's own steps against the domain: `[{step, message}]` (step None: the story)."""
    found: list[dict[str, Any]] = []
    if not str(story.get("name", "")).strip():
        found.append({"step": None, "message": "请填写名称。"})
    if not story.get("steps"):
        found.append({"step": None, "message": "至少需要一个步骤。"})
    for i, step in enumerate(story.get("steps") or []):
        keys = [k for k in STEP_KEYS if k in step]
        if not keys:
            continue
        key = keys[0]
        value = step[key]
        if key in ("intent", "action") and not str(value or "").strip():
            found.append({"step": i, "message": "请选择意图。" if key == "intent" else "请选择动作。"})
        elif key == "intent" and domain.get("intents") and value not in domain["intents"]:
            found.append({"step": i, "message": f"意图“{value}”不在 domain.yml 中。"})
        elif key == "action" and domain.get("actions") and value not in domain["actions"]:
            found.append({"step": i, "message": f"动作“{value}”不在 domain.yml 中。"})
        for ent in step.get("entities") or [] if key == "intent" else []:
            for name in ent if isinstance(ent, dict) else [ent]:
                if domain.get("entities") and name not in domain["entities"]:
                    found.append({"step": i, "message": f"实体“{name}”不在 domain.yml 中。"})
    return found


def step_names(step: dict[str, Any]) -> set[str]:
    """The domain names a step uses (intent, action, slots, loop, entities)."""
    names = {str(step[k]) for k in ("intent", "action", "active_loop") if step.get(k)}
    for part in (step.get("slot_was_set") or []) + (step.get("entities") or []):
        names |= set(part) if isinstance(part, dict) else {str(part)}
    return names


def place_findings(messages: list[str], story: dict[str, Any], all_names: set[str]) -> tuple[list[dict], list[str]]:
    """Rasa's validation messages placed on the story's steps: (findings of this story, the other messages).

    A message quoting another story's name (and not this one's) is about that story; one quoting this
    story's name or one of its steps' names is placed on the steps it quotes (else on the story).
    """
    mine: list[dict[str, Any]] = []
    other: list[str] = []
    for raw in messages:
        message = _TMP.sub("", raw).strip()
        quoted = set(_QUOTED.findall(message))
        stories_named = quoted & all_names
        if stories_named and story["name"] not in stories_named:
            other.append(message)
            continue
        steps = [i for i, s in enumerate(story["steps"]) if step_names(s) & quoted]
        if not steps and not stories_named:
            other.append(message)
            continue
        mine += [{"step": i, "message": message} for i in steps] or [{"step": None, "message": message}]
    return mine, other


def turns_of(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A story's steps as turns `{text, intent, entities, actions}`: the user's text without entity annotations;
    slot and loop steps left out."""
    turns: list[dict[str, Any]] = []
    for step in steps:
        if "intent" in step or "user" in step:
            entities = [{"entity": k, "value": v} for e in step.get("entities") or [] if isinstance(e, dict)
                        for k, v in e.items()]
            turns.append({"text": plain(str(step.get("user") or "")), "intent": step.get("intent"),
                          "entities": entities, "actions": []})
        elif "action" in step:
            if not turns:
                turns.append({"text": "", "intent": None, "entities": [], "actions": []})
            turns[-1]["actions"].append(step["action"])
    return turns


def steps_of(turns: list[dict[str, Any]], with_user: bool) -> list[dict[str, Any]]:
    """Conversation turns as story steps; a test story (`with_user`) keeps what the user typed."""
    steps: list[dict[str, Any]] = []
    for turn in turns:
        if turn.get("intent"):
            step: dict[str, Any] = {"intent": turn["intent"]}
            if with_user and turn.get("text"):
                step = {"user": turn["text"], **step}
            if turn.get("entities"):
                step["entities"] = [{e["entity"]: e["value"]} for e in turn["entities"]]
            steps.append(step)
        steps += [{"action": a} for a in turn.get("actions") or []]
    return steps

"""Checks before a change reaches `data/`: a schema check here, then `rasa data validate`.

`schema_problems` is pure (file texts in, Chinese problem lines out); `validate_change`
also runs Rasa's own validation on a temporary copy of the project with the change.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import yaml

from bridge.trainer import project
from bridge.trainer.nlu_files import KINDS, plain, split_examples
from bridge.trainer.worker_client import RasaWorker


def _load(text: str, where: str, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problems.append(f"{where}：YAML格式错误：{str(exc).splitlines()[0]}")
        return None


def nlu_problems(texts: dict[str, str], intents: set[str], entities: set[str]) -> list[str]:
    """Problems of the NLU files (relative path -> text), all files together."""
    problems: list[str] = []
    seen: dict[str, tuple[str, str]] = {}
    for where, text in sorted(texts.items()):
        doc = _load(text, where, problems)
        if doc is None:
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("nlu"), list):
            problems.append(f"{where}：应为包含 nlu 列表的映射。")
            continue
        for i, item in enumerate(doc["nlu"]):
            at = f"{where} 第{i + 1}项"
            kinds = [k for k in KINDS if isinstance(item, dict) and k in item]
            if len(kinds) != 1:
                problems.append(f"{at}：必须且只能有 intent/synonym/lookup/regex 之一。")
                continue
            kind, name = kinds[0], str(item[kinds[0]])
            if not isinstance(item.get("examples"), str):
                problems.append(f"{at}（{name}）：examples 应为以“- ”开头的多行文本。")
                continue
            lines = [ln.strip() for ln in item["examples"].splitlines() if ln.strip()]
            if any(not ln.startswith("- ") for ln in lines):
                problems.append(f"{at}（{name}）：每条例句须以“- ”开头。")
            examples = split_examples(item["examples"])
            if not examples or any(not e for e in examples):
                problems.append(f"{at}（{name}）：例句不能为空。")
            if kind != "intent":
                continue
            if intents and name not in intents:
                problems.append(f"{at}：意图“{name}”不在 domain.yml 中。")
            for ex in examples:
                for ent in _entities_of(ex):
                    if entities and ent not in entities:
                        problems.append(f"{at}（{name}）：例句“{ex}”标注的实体“{ent}”不在 domain.yml 中。")
                key = plain(ex)
                if key in seen and seen[key][0] == name:
                    problems.append(f"意图“{name}”中例句“{ex}”重复。")
                elif key in seen:
                    problems.append(f"例句“{ex}”同时出现在意图“{seen[key][0]}”和“{name}”中。")
                else:
                    seen[key] = (name, where)
    return problems


def _entities_of(example: str) -> list[str]:
    import re

    return re.findall(r"\]\(([^):]+)(?::[^)]*)?\)", example)


def story_problems(text: str, where: str, section: str, label: str) -> list[str]:
    """Problems of rules.yml (`rules`/`rule`) or stories.yml (`stories`/`story`)."""
    problems: list[str] = []
    doc = _load(text, where, problems)
    if doc is None:
        return problems
    if not isinstance(doc, dict) or not isinstance(doc.get(section), list):
        return [f"{where}：应为包含 {section} 列表的映射。"]
    names: set[str] = set()
    for i, item in enumerate(doc[section]):
        at = f"{where} 第{i + 1}项"
        if not isinstance(item, dict) or not isinstance(item.get(label), str) or not item[label].strip():
            problems.append(f"{at}：缺少名称（{label}）。")
            continue
        if item[label] in names:
            problems.append(f"{at}：名称“{item[label]}”重复。")
        names.add(item[label])
        steps = item.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.append(f"{at}（{item[label]}）：steps 应为非空列表。")
            continue
        for step in steps:
            if not isinstance(step, dict) or not ({"intent", "action", "slot_was_set", "active_loop", "checkpoint",
                                                    "or", "user", "bot"} & set(step)):
                problems.append(f"{at}（{item[label]}）：步骤 {step!r} 无法识别。")
    return problems


def domain_names(root: Path) -> tuple[set[str], set[str]]:
    """(intents, entities) declared in domain.yml."""
    doc = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}

    def names(key: str) -> set[str]:
        return {next(iter(x)) if isinstance(x, dict) else str(x) for x in doc.get(key) or []}

    return names("intents"), names("entities")


def schema_problems(changes: dict[str, str], root: Path | None = None) -> list[str]:
    """Schema check of the project's NLU, rules and stories with `changes` applied."""
    root = root or project.project_root()
    texts = {project.rel(p, root): p.read_text(encoding="utf-8") for p in project.nlu_files(root)}
    texts.update({k: v for k, v in changes.items() if k.startswith(project.NLU_DIR + "/")})
    intents, entities = domain_names(root)
    problems = nlu_problems(texts, intents, entities)
    for relpath, section, label in ((project.RULES, "rules", "rule"), (project.STORIES, "stories", "story")):
        text = changes.get(relpath)
        if text is None:
            text = (root / relpath).read_text(encoding="utf-8")
        problems += story_problems(text, relpath, section, label)
    return problems


async def validate_change(worker: RasaWorker, changes: dict[str, str]) -> dict[str, Any]:
    """{ok, errors, warnings}: schema check, then `rasa data validate` on a copy with the change."""
    problems = schema_problems(changes)
    if problems:
        return {"ok": False, "stage": "schema", "errors": problems, "warnings": []}
    tmp = await asyncio.to_thread(project.temp_copy, changes)
    try:
        res = await worker.call({"cmd": "validate", "root": str(tmp)})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"ok": bool(res.get("ok")), "stage": "rasa", "errors": res.get("errors") or [],
            "warnings": res.get("warnings") or []}

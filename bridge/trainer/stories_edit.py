"""The structured editor's service: list stories, rules and test stories; check and save one at a time.

A story or rule is checked against the domain step by step (`stories_model.step_problems`), then
the whole project is validated with the change (`rasa data validate` through the trainer worker,
as every save does) and Rasa's findings are placed on the steps they concern; a warning about
the story (a story-structure conflict) refuses it like an error. Test stories
(`data/test_stories/*.yml`, Rasa test-story YAML: steps carry the user's text) are not training
data: they get the step check only.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml

from bridge.domain.auth import Principal
from bridge.trainer import history, nlu_files, project
from bridge.trainer import stories_model as sm
from bridge.trainer.nlu_service import NluService
from bridge.trainer.validate import validate_change

FILES = {"story": project.STORIES, "rule": project.RULES}
TEST_DIR = "data/test_stories"
LEARNED = f"{TEST_DIR}/learned.yml"
TEST_HEADER = 'version: "3.1"\n\n# Test stories saved from interactive learning; run before every go-live.\nstories:\n'
# Actions every Rasa assistant has without declaring them
DEFAULT_ACTIONS = {"action_listen", "action_restart", "action_session_start", "action_default_fallback",
                   "action_deactivate_loop", "action_revert_fallback_events", "action_default_ask_affirmation",
                   "action_default_ask_rephrase", "action_two_stage_fallback", "action_unlikely_intent",
                   "action_back", "action_extract_slots"}


def domain_catalog(root: Path | None = None) -> dict[str, Any]:
    """Intents (with an example sentence each), actions, entities, slots and forms of the project."""
    root = root or project.project_root()
    doc = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}

    def names(key: str) -> list[str]:
        value = doc.get(key) or []
        return [str(next(iter(x)) if isinstance(x, dict) else x) for x in value]

    examples: dict[str, str] = {}
    for p in project.nlu_files(root):
        for it in nlu_files.read_items(p, p.name):
            if it.kind == "intent" and it.examples and it.name not in examples:
                examples[it.name] = nlu_files.plain(it.examples[0])
    intents = [*names("intents"), "nlu_fallback"]
    actions = sorted(set(names("actions")) | {"action_listen", "action_restart", "action_default_fallback"})
    return {"intents": [{"name": i, "example": examples.get(i, "")} for i in intents], "actions": actions,
            "entities": names("entities"), "slots": names("slots"), "forms": names("forms")}


def domain_sets(catalog: dict[str, Any]) -> dict[str, set[str]]:
    """The names a step may use, as sets (for `stories_model.step_problems`)."""
    return {"intents": {i["name"] for i in catalog["intents"]}, "actions": set(catalog["actions"]) | DEFAULT_ACTIONS,
            "entities": set(catalog["entities"])}


def test_files(root: Path | None = None) -> list[Path]:
    return sorted((root or project.project_root()).joinpath(TEST_DIR).glob("*.yml"))


def read_tests(root: Path | None = None) -> list[dict[str, Any]]:
    """Every test story of `data/test_stories/`, each with its `file`; a file that cannot be read is one
    story named after the file, with an `error` (it fails the story tests)."""
    root = root or project.project_root()
    out: list[dict[str, Any]] = []
    for path in test_files(root):
        rel = project.rel(path, root)
        try:
            out += [{**story, "file": rel} for story in sm.parse(path.read_text(encoding="utf-8"), "story")]
        except (yaml.YAMLError, UnicodeDecodeError, AttributeError, TypeError) as exc:
            out.append({"name": rel, "file": rel, "steps": [], "error": f"无法读取：{str(exc).splitlines()[0]}"})
    return out


class StoriesService:
    """Structured edits of `data/stories.yml`, `data/rules.yml` and `data/test_stories/learned.yml`."""

    def __init__(self, store, nlu: NluService) -> None:
        self.store = store
        self.nlu = nlu

    def overview(self) -> dict[str, Any]:
        root = project.project_root()
        out: dict[str, Any] = {"domain": domain_catalog(root), "tests": read_tests(root)}
        for kind, relpath in FILES.items():
            out[f"{kind}_file"] = relpath
            out["stories" if kind == "story" else "rules"] = sm.parse(
                (root / relpath).read_text(encoding="utf-8"), kind)
        return out

    def _plan(self, kind: str, story: dict[str, Any], old_name: str | None) -> tuple[str, str, list[dict]]:
        """(relative path, new file text, step findings of the story alone)."""
        relpath = FILES[kind]
        text = project.resolve(relpath).read_text(encoding="utf-8")
        found = sm.step_problems(story, domain_sets(domain_catalog()))
        return relpath, sm.upsert(text, kind, story, old_name), found

    async def check(self, kind: str, story: dict[str, Any], old_name: str | None = None) -> dict[str, Any]:
        """Findings of a story as it would be saved, placed on its steps; nothing is written."""
        relpath, after, found = self._plan(kind, story, old_name)
        if found:
            return {"ok": False, "stage": "steps", "findings": found, "other": []}
        result = await validate_change(self.nlu.worker, {relpath: after})
        return self._placed(result, kind, story, after)

    def _placed(self, result: dict[str, Any], kind: str, story: dict[str, Any], after: str) -> dict[str, Any]:
        names = {s["name"] for s in sm.parse(after, kind)}
        mine, other = sm.place_findings(result.get("errors") or [], story, names)
        warn_mine, warn_other = sm.place_findings(result.get("warnings") or [], story, names)
        findings = mine + [{**f, "level": "warning"} for f in warn_mine]
        # a warning about this story refuses it too: the project keeps `rasa data validate --fail-on-warnings` clean
        return {"ok": bool(result.get("ok")) and not findings, "stage": result.get("stage"), "findings": findings,
                "other": other + warn_other}

    async def save(self, who: Principal, kind: str, story: dict[str, Any], old_name: str | None = None
                   ) -> dict[str, Any]:
        """Write one story when it has no finding, warnings about it included (kept in history)."""
        checked = await self.check(kind, story, old_name)
        if not checked["ok"]:
            return {**checked, "changed": False}
        verb = "修改" if old_name else "保存"
        result = await self.nlu.change(who, FILES[kind], lambda t: sm.upsert(t, kind, story, old_name), f"{kind}_save",
                                       f"{verb}{'故事' if kind == 'story' else '规则'}“{story['name']}”",
                                       {"kind": kind, "name": story["name"], "old": old_name})
        if result.get("changed") or result.get("ok"):
            return {**result, "findings": [], "other": []}
        return {**result, "findings": [], "other": result.get("errors") or []}

    async def delete(self, who: Principal, kind: str, name: str) -> dict[str, Any]:
        what = f"删除{'故事' if kind == 'story' else '规则'}“{name}”"
        return await self.nlu.change(who, FILES[kind], lambda t: sm.delete(t, kind, name), f"{kind}_delete", what,
                                     {"kind": kind, "name": name})

    async def move(self, who: Principal, kind: str, name: str, by: int) -> dict[str, Any]:
        """Move one story (or rule) up or down in its file (validated like every change)."""
        what = f"{'上移' if by < 0 else '下移'}{'故事' if kind == 'story' else '规则'}“{name}”"
        return await self.nlu.change(who, FILES[kind], lambda t: sm.move(t, kind, name, by), f"{kind}_move", what,
                                     {"kind": kind, "name": name, "by": by})

    async def save_test(self, who: Principal, story: dict[str, Any]) -> dict[str, Any]:
        """Add or replace a test story in `data/test_stories/learned.yml` (step check only)."""
        found = sm.step_problems(story, domain_sets(domain_catalog()))
        if found:
            return {"ok": False, "changed": False, "stage": "steps", "findings": found, "other": []}
        path = project.project_root() / LEARNED
        async with self.nlu.lock:
            before = path.read_text(encoding="utf-8") if path.exists() else TEST_HEADER
            after = sm.upsert(before, "story", story, story["name"] if any(
                s["name"] == story["name"] for s in sm.parse(before, "story")) else None)
            path.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(project.write_atomic, path, after)
        await history.record(self.store, who, "test_story_save", LEARNED, f"保存测试故事“{story['name']}”",
                             {LEARNED: (before, after)}, {"name": story["name"]})
        return {"ok": True, "changed": before != after, "findings": [], "other": [], "file": LEARNED}

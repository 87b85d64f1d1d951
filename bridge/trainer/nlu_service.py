"""Validated changes to the Rasa training data: check, write to `data/`, keep in history."""

from __future__ import annotations

import asyncio
from typing import Any

import yaml

from bridge.domain.auth import Principal
from bridge.trainer import history, nlu_files, project
from bridge.trainer.validate import validate_change
from bridge.trainer.worker_client import RasaWorker


class NluService:
    def __init__(self, store, worker: RasaWorker) -> None:
        self.store = store
        self.worker = worker
        self.lock = asyncio.Lock()

    def overview(self) -> dict[str, Any]:
        """Intents with examples, rules and stories; synonyms, lookups and regexes."""
        root = project.project_root()
        items = [it for p in project.nlu_files(root) for it in nlu_files.read_items(p, project.rel(p, root))]
        rules = yaml.safe_load((root / project.RULES).read_text(encoding="utf-8")) or {}
        stories = yaml.safe_load((root / project.STORIES).read_text(encoding="utf-8")) or {}
        in_rules = nlu_files.steps_using(rules, "rules", "rule")
        in_stories = nlu_files.steps_using(stories, "stories", "story")
        out: dict[str, list] = {"intents": [], "synonyms": [], "lookups": [], "regexes": []}
        plural = {"intent": "intents", "synonym": "synonyms", "lookup": "lookups", "regex": "regexes"}
        for it in items:
            entry: dict[str, Any] = {"name": it.name, "file": it.file, "examples": it.examples}
            if it.kind == "intent":
                entry["rules"] = in_rules.get(it.name, [])
                entry["stories"] = in_stories.get(it.name, [])
            out[plural[it.kind]].append(entry)
        return out

    def file_text(self, relpath: str) -> str:
        return project.resolve(relpath).read_text(encoding="utf-8")

    def locate(self, kind: str, name: str, example: str | None = None) -> str:
        """The relative path of the NLU file holding item `name` of `kind` (with `example`, when given,
        since an intent may be kept in several files; else the first)."""
        root = project.project_root()
        wanted = None if example is None else example.strip()
        holding = [p for p in project.nlu_files(root)
                   if any(it.kind == kind and it.name == name and (wanted is None or wanted in it.examples)
                          for it in nlu_files.read_items(p, p.name))]
        if holding:
            return project.rel(holding[0], root)
        if example is not None:
            return self.locate(kind, name)
        raise nlu_files.EditError(f"没有找到“{name}”。")

    async def change(self, who: Principal, relpath: str, edit, action: str, summary: str,
                     detail: dict | None = None) -> dict[str, Any]:
        """Apply `edit(old_text) -> new_text` to one file if the result validates; record it in history."""
        async with self.lock:
            path = project.resolve(relpath)
            before = path.read_text(encoding="utf-8")
            after = edit(before)
            if after == before:
                return {"ok": True, "changed": False, "errors": [], "warnings": []}
            check = await validate_change(self.worker, {relpath: after})
            if not check["ok"]:
                return {**check, "changed": False}
            project.write_atomic(path, after)
            entry = await history.record(self.store, who, action, relpath, summary, {relpath: (before, after)},
                                         detail)
            return {**check, "changed": True, "history_id": entry}

    async def add_example(self, who: Principal, intent: str, text: str, why: str = "") -> dict[str, Any]:
        relpath = self.locate("intent", intent)
        text = nlu_files.check_example(text)
        return await self.change(who, relpath, lambda t: nlu_files.add_example(t, "intent", intent, text),
                                 "nlu_add", f"意图 {intent} 新增例句：{text}" + (f"（{why}）" if why else ""),
                                 {"kind": "intent", "name": intent, "example": text})

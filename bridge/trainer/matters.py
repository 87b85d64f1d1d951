"""Matters authored in the trainer console: list, create, edit, retire, import (with a dry-run diff), export.

A write changes the project's files (`matters_files`), then regenerates the NLU lookup tables and the
jieba dictionary (`bot.nlu_build.generate`), imports the matter's articles into `kb_articles` (bumping
the KB revision) and records the catalogue revision (`core.catalogue_revision`) that every bridge and
the action server follow. Training and going live stay the 训练 flow's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pymongo.errors import DuplicateKeyError

from bot.nlu_build import generate, phrase_owners
from bridge.domain.auth import Principal
from bridge.trainer import history, project
from bridge.trainer import matters_files as files
from core import clock
from core.catalogue import Catalogue, Matter, get_catalogue, load_catalogue
from core.catalogue_revision import follow, record
from kb import matter_diff, matter_import
from kb.importer import bump_revision, import_kb
from kb.loader import MATTER_ASPECTS, load_kb
from kb.tokenize import normalize

ID = re.compile(r"^[a-z0-9-]{2,64}$")
LOCK_ID = "trainer-matters"  # one matter write at a time across every bridge process (the `locks` collection)
LOCK_STALE = dt.timedelta(minutes=2)
LOCK_WAIT_S = 30.0


@contextlib.asynccontextmanager
async def writing(store) -> AsyncIterator[None]:
    """Hold the matter-write lock (waits up to LOCK_WAIT_S; a lock older than LOCK_STALE is taken over)."""
    token = uuid.uuid4().hex
    for _ in range(int(LOCK_WAIT_S / 0.2)):
        t = clock.now()
        await store.locks.delete_many({"_id": LOCK_ID, "ts": {"$lt": t - LOCK_STALE}})
        try:
            await store.locks.insert_one({"_id": LOCK_ID, "token": token, "ts": t})
            break
        except DuplicateKeyError:
            await asyncio.sleep(0.2)
    else:
        raise MatterError(409, ["另一项事项修改正在进行，请稍后再试。"])
    try:
        yield
    finally:
        await store.locks.delete_one({"_id": LOCK_ID, "token": token})


class MatterError(ValueError):
    """A refused matter change: `status` 400/404/409/422, `problems` in Chinese."""

    def __init__(self, status: int, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.status = status
        self.problems = problems


class MatterService:
    def __init__(self, store, catalogue: Catalogue) -> None:
        self.store = store
        self.catalogue = catalogue

    def _matters(self) -> dict[str, Matter]:
        return load_catalogue(project.project_root() / "data").matters

    async def list(self, q: str = "") -> list[dict[str, Any]]:
        """Every matter of the project with counts and the aspects it lacks; `q` filters by id or name."""
        kb = await asyncio.to_thread(load_kb, project.project_root() / project.KB_DIR)
        by = kb.by_matter()
        out = []
        for m in self._matters().values():
            if q and q not in m.id and q not in m.name:
                continue
            f = by.get(m.id)
            arts = f.articles if f else []
            have = {a.aspect for a in arts}
            out.append({**_wire(m), "articles": len(arts), "faqs": sum(a.aspect == "faq" for a in arts),
                        "aliases": len(f.aliases) if f else 0, "missing": [a for a in MATTER_ASPECTS if a not in have]})
        return out

    async def get(self, mid: str) -> dict[str, Any]:
        m = self._matters().get(mid)
        if m is None:
            raise MatterError(404, ["未找到该办事事项。"])
        doc = files.read_kb(mid) or {"matter": mid, "articles": []}
        return {**_wire(m), "aliases": doc.get("aliases") or [], "guide": doc.get("guide") or {},
                "articles": doc.get("articles") or []}

    async def create(self, who: Principal, data: dict[str, Any]) -> dict[str, Any]:
        async with writing(self.store):
            mid = data["id"]
            if mid in self._matters():
                raise MatterError(409, [f"事项标识 {mid} 已存在。"])
            doc = {"matter": mid, "department": data["department"], "name": data["name"], "kind": data["kind"],
                   "aliases": data.get("aliases") or [], "guide": data.get("guide") or {}, "articles": []}
            return await self._write(who, doc, None, "matter_create", f"新建办事事项 {mid}")

    async def edit(self, who: Principal, mid: str, data: dict[str, Any]) -> dict[str, Any]:
        async with writing(self.store):
            if mid not in self._matters():
                raise MatterError(404, ["未找到该办事事项。"])
            old = files.read_kb(mid) or {"matter": mid, "articles": []}
            doc = {**old, **{k: v for k, v in data.items() if v is not None}}
            return await self._write(who, doc, old, "matter_edit", f"修改办事事项 {mid}")

    async def retire(self, who: Principal, mid: str) -> dict[str, Any]:
        return await self.edit(who, mid, {"retired": True})

    async def import_file(self, who: Principal, filename: str, content: bytes, defaults: dict[str, str],
                          dry_run: bool) -> dict[str, Any]:
        """Check an upload against the current matter; with `dry_run` only the diff, else also write it."""
        try:
            data = matter_import.read_upload(filename, content)
        except matter_import.ImportFormatError as exc:
            raise MatterError(400, [str(exc)]) from None
        doc = matter_import.to_matter_file(data, defaults)
        mid = str(doc.get("matter") or "")
        self._check_id(mid)
        old = files.read_kb(mid)
        if not matter_import.is_matter_file(data):
            doc = matter_diff.merge_guide(old, doc)
        problems, warnings = self._problems(doc)
        warnings += [f"未识别的字段：{k}" for k in matter_import.unknown_fields(data)
                     if not matter_import.is_matter_file(data)]
        result = {"matter": mid, "diff": matter_diff.diff(old, doc), "errors": problems, "warnings": warnings,
                  "written": False}
        if dry_run:
            return result
        if problems:
            raise MatterError(400 if any("部门" in e for e in problems) else 422, problems)
        async with writing(self.store):
            written = await self._write(who, doc, old, "matter_import", f"导入办事事项 {mid}")
        return {**result, "written": True, "matter_entry": written}

    def export(self, mid: str) -> dict[str, Any]:
        doc = files.read_kb(mid)
        if doc is None or mid not in self._matters():
            raise MatterError(404, ["未找到该办事事项。"])
        return doc

    def _check_id(self, mid: str) -> None:
        if not ID.match(mid):
            raise MatterError(400, ["事项标识须由小写字母、数字和连字符组成（2-64 个字符）。"])

    def _problems(self, doc: dict[str, Any]) -> tuple[list[str], list[str]]:
        """(errors, warnings) of a matter file: department, name, the KB loader's checks, alias owners."""
        mid, errors = str(doc.get("matter")), _shape_problems(doc)
        if errors:
            return errors, []
        if doc.get("department") not in self.catalogue.departments:
            errors.append(f"未知的部门：{doc.get('department') or '（未填写）'}。")
        if not str(doc.get("name") or "").strip():
            errors.append("缺少事项名称。")
        if errors:
            return errors, []
        matters = {**self._matters(), mid: _matter(doc)}
        tmp = Path(tempfile.mkdtemp(prefix="bangban-matter-"))
        try:
            (tmp / f"{mid}.yml").write_text(files.kb_text(doc), encoding="utf-8")
            kb = load_kb(tmp, matters)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        owners = phrase_owners(project.project_root())
        taken = [f"别名“{a}”已是其他事项（{'、'.join(sorted(owners[normalize(a)] - {mid}))}）的名称或别名。"
                 for a in doc.get("aliases") or [] if owners.get(normalize(a), set()) - {mid}]
        return kb.errors, taken + kb.warnings

    async def _write(self, who: Principal, doc: dict[str, Any], old: dict[str, Any] | None, action: str,
                     note: str) -> dict[str, Any]:
        self._check_id(str(doc.get("matter") or ""))
        errors, warnings = self._problems(doc)
        if errors:
            raise MatterError(400 if any("部门" in e for e in errors) else 422, errors)
        matter = _matter(doc)
        root = project.project_root()
        catalogue_text = files.with_matter(files.catalogue_path(root).read_text(encoding="utf-8"), matter)
        project.write_atomic(files.kb_path(matter.id, root), files.kb_text(doc))
        project.write_atomic(files.catalogue_path(root), catalogue_text)
        await asyncio.to_thread(generate, root)
        await self._publish(matter)
        await self.store.matters.update_one(  # the record others read: 好差评 reports its implementation code
            {"_id": matter.id}, {"$set": {"name": matter.name, "kind": matter.kind, "department": matter.department,
                                          "guide": doc.get("guide") or {}}}, upsert=True)
        await history.record(self.store, who, action, matter.id, note,
                             detail={"diff": matter_diff.diff(old, doc)["articles"]})
        return {**_wire(matter), "warnings": warnings}

    async def _publish(self, matter: Matter) -> None:
        """The matter's articles into kb_articles, then its catalogue entry to every process.

        In this order, so that a process seeing the new catalogue finds the matter's articles already there.
        """
        kb = await asyncio.to_thread(load_kb, project.project_root() / project.KB_DIR, self._matters())
        one = type(kb)(files=[f for f in kb.files if f.matter == matter.id])
        await import_kb(self.store, one)
        if matter.retired:
            await self.store.kb_articles.update_many({"matter": matter.id}, {"$set": {"status": "retired"}})
            await bump_revision(self.store, note=f"matter {matter.id} retired")
        await record(self.store, matter)
        await follow(self.store, self.catalogue, get_catalogue(), force=True)


def _shape_problems(doc: dict[str, Any]) -> list[str]:
    """Header fields of the wrong type (an uploaded file may hold anything)."""
    problems = [f"{key} 应为文字。" for key in ("department", "name", "kind")
                if doc.get(key) is not None and not isinstance(doc.get(key), str)]
    aliases = doc.get("aliases")
    if aliases is not None and not (isinstance(aliases, list) and all(isinstance(a, str) for a in aliases)):
        problems.append("aliases 应为文字列表。")
    if not isinstance(doc.get("articles", []), list):
        problems.append("articles 应为列表。")
    return problems


def _matter(doc: dict[str, Any]) -> Matter:
    return Matter(str(doc["matter"]), str(doc.get("name") or "").strip(), str(doc.get("kind") or "person"),
                  str(doc.get("department")), bool(doc.get("retired")))


def _wire(m: Matter) -> dict[str, Any]:
    return {"id": m.id, "name": m.name, "kind": m.kind, "department": m.department, "retired": m.retired}


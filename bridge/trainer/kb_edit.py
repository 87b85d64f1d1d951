"""Edit and publish knowledge-base articles: versions, policy dates, MongoDB and the YAML file.

`kb_versions` keeps every saved version of an article. `kb_articles` (what the bot
searches) holds the version in force today (`kb.versions.in_force`); a version with a
later `policy_effective_date` waits there and is applied on its day by `apply_due`.
Every published version in force is also written back to `data/kb/<matter>.yml`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import asdict
from typing import Any

from bridge.domain.auth import Principal
from bridge.trainer import history, kb_files, project
from core.catalogue import Catalogue
from core.clock import iso, now
from core.workcal import SHANGHAI
from kb.importer import ORIGIN, bump_revision, content_hash
from kb.loader import ASPECTS, Article
from kb.versions import in_force, parse_day, publish_warning
from kb.video_guides import guides_from_doc, read_guides

_lock = asyncio.Lock()


class KbEditError(ValueError):
    """A refused edit; `.problems` lists what is wrong (Chinese)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def today() -> dt.date:
    return now().astimezone(SHANGHAI).date()


def article_wire(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(doc.get("article_id") or doc["_id"]), "matter": doc.get("matter"),
            "department": doc.get("department"), "aspect": doc.get("aspect"), "title": doc.get("title"),
            "question": doc.get("question", ""), "answer": doc.get("answer", ""), "steps": doc.get("steps", []),
            "source": doc.get("source", ""), "effective_date": doc.get("effective_date", ""),
            "policy_effective_date": doc.get("policy_effective_date"), "version": doc.get("version", 1),
            "status": doc.get("status"), "updated_at": iso(doc.get("updated_at")),
            "published_at": iso(doc.get("published_at")), "applied": doc.get("applied"),
            "verified_date": doc.get("verified_date") or "", "videos": doc.get("videos") or [],
            "live": doc.get("live") or []}


async def next_faq_id(store, matter: str) -> str:
    ids = [d["_id"] for d in await store.kb_articles.find({"matter": matter}, {"_id": 1}).to_list(None)]
    ids += [d["article_id"] for d in await store.kb_versions.find({"matter": matter}, {"article_id": 1}).to_list(None)]
    nums = [int(m.group(1)) for i in ids if (m := re.match(rf"^{re.escape(matter)}\.faq\.(\d+)$", str(i)))]
    return f"{matter}.faq.{max(nums, default=0) + 1:02d}"


def _guides(data: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The article's videos and live sessions: as sent (a list, empty to remove), else the live article's."""
    kept = guides_from_doc(current or {})
    problems: list[str] = []
    guides = read_guides({k: data[k] if data.get(k) is not None else [asdict(g) for g in kept[k]]
                          for k in ("videos", "live")}, problems)
    if problems:
        raise KbEditError(problems)
    return guides


class KbEditor:
    def __init__(self, store, catalogue: Catalogue) -> None:
        self.store = store
        self.catalogue = catalogue

    async def list(self, matter: str | None) -> dict[str, Any]:
        q = {"matter": matter}
        live = await self.store.kb_articles.find(q, sort=[("_id", 1)]).to_list(None)
        pending = await self.store.kb_versions.find(
            {**q, "status": {"$in": ["draft", "published"]}, "applied": False}, sort=[("created_at", -1)]
        ).to_list(None)
        return {"articles": [article_wire(d) for d in live], "pending": [article_wire(d) for d in pending]}

    async def versions(self, article_id: str) -> list[dict[str, Any]]:
        docs = await self.store.kb_versions.find({"article_id": article_id}, sort=[("version", -1)]).to_list(None)
        return [article_wire(d) for d in docs]

    def _article(self, data: dict[str, Any], version: int, guides: dict[str, Any] | None = None) -> Article:
        matter = data.get("matter") or None
        if matter is not None and matter not in self.catalogue.matters:
            raise KbEditError(["未找到该办事事项。"])
        department = self.catalogue.matters[matter].department if matter else "bigdata-center"
        name = self.catalogue.matters[matter].name if matter else "平台技术问题"
        policy = parse_day(data.get("policy_effective_date"))
        return Article(
            id=data["id"], matter=matter, department=department, aspect=data["aspect"], title=data["title"].strip(),
            answer=data["answer"].strip(), question=(data.get("question") or "").strip(),
            steps=tuple(s.strip() for s in data.get("steps") or () if s and s.strip()),
            source=(data.get("source") or "").strip(),
            effective_date=(policy or parse_day(data.get("effective_date")) or today()).isoformat(),
            version=version, matter_name=name, aliases=(), verified_date=today().isoformat(), **(guides or {}))

    async def save(self, who: Principal, data: dict[str, Any], publish: bool = True) -> dict[str, Any]:
        """Save a new version of an article (new when `id` is empty); publish it unless `publish` is False.

        Returns {article, applied, warning}. Raises KbEditError with the loader's problems.
        """
        async with _lock:
            return await self._save(who, dict(data), publish)

    async def _save(self, who: Principal, data: dict[str, Any], publish: bool) -> dict[str, Any]:
        if data.get("aspect") not in ASPECTS:
            raise KbEditError([f"类别必须是 {', '.join(ASPECTS)} 之一。"])
        current = await self.store.kb_articles.find_one({"_id": data["id"]}) if data.get("id") else None
        if not data.get("id"):
            if not data.get("matter"):
                raise KbEditError(["新建文章须选择办事事项。"])
            data["id"] = await next_faq_id(self.store, data["matter"]) if data["aspect"] == "faq" \
                else f"{data['matter']}.{data['aspect']}"
        elif current is not None and (data.get("matter") or None) != current.get("matter"):
            raise KbEditError(["不能修改文章所属的办事事项。"])
        last = await self.store.kb_versions.find_one({"article_id": data["id"]}, sort=[("version", -1)])
        version = max(int((current or {}).get("version") or 0), int((last or {}).get("version") or 0)) + 1
        art = self._article(data, version, _guides(data, current))
        policy = parse_day(data.get("policy_effective_date"))
        path, text = kb_files.read(art.matter)
        entry = {**art.to_doc(), "id": art.id}
        problems = kb_files.check_file(path.name, kb_files.with_article(text, entry))
        if problems:
            raise KbEditError(problems)
        t = now()
        day = today()
        warning = publish_warning(policy, day) if publish else None
        vdoc = {"_id": f"{art.id}@{version}", "article_id": art.id, **art.to_doc(),
                "policy_effective_date": policy.isoformat() if policy else None,
                "status": "published" if publish else "draft", "applied": False, "created_at": t,
                "by": {"id": who.id, "name": who.name}, "published_at": t if publish else None,
                "late": bool(warning), "origin_note": data.get("note") or ""}
        await self.store.kb_versions.insert_one(vdoc)
        applied = False
        if publish and (policy is None or policy <= day):
            applied = await self._apply(vdoc, who)
        await history.record(self.store, who, "kb_publish" if publish else "kb_draft", art.id,
                             f"{'发布' if publish else '保存草稿'}知识库文章 {art.id} 第{version}版"
                             + (f"（政策生效日 {policy.isoformat()}）" if policy else ""),
                             detail={"version": version, "applied": applied, "warning": warning})
        return {"article": article_wire(vdoc | {"applied": applied}), "applied": applied, "warning": warning}

    async def _apply(self, vdoc: dict[str, Any], who: Principal | None) -> bool:
        """Make a published version the live article: MongoDB, the YAML file, the KB revision."""
        res = await self.store.kb_versions.update_one({"_id": vdoc["_id"], "applied": False},
                                                      {"$set": {"applied": True, "applied_at": now()}})
        if not res.modified_count:
            return False
        art = Article.from_doc({**vdoc, "_id": vdoc["article_id"]})
        doc = art.to_doc()
        doc.update(updated_at=now(), content_hash=content_hash(art.to_doc()), origin=ORIGIN, status="published",
                   policy_effective_date=vdoc.get("policy_effective_date"), published_at=vdoc.get("published_at"))
        await self.store.kb_articles.replace_one({"_id": art.id}, doc, upsert=True)
        path, text = kb_files.read(art.matter)
        new = kb_files.with_article(text, {**art.to_doc(), "id": art.id})
        project.write_atomic(path, new)
        await bump_revision(self.store, note=f"trainer {who.id if who else 'scheduler'}", changed=[art.id])
        return True

    async def apply_due(self, day: dt.date | None = None) -> list[str]:
        """Apply every published version whose policy date has come (the in-force version per article)."""
        day = day or today()
        waiting = await self.store.kb_versions.find({"status": "published", "applied": False}).to_list(None)
        applied = []
        async with _lock:
            for doc in in_force(waiting, day):
                current = await self.store.kb_articles.find_one({"_id": doc["article_id"]}, {"version": 1})
                if current and int(current.get("version") or 0) > int(doc["version"]):
                    continue
                if await self._apply(dict(doc), None):
                    applied.append(doc["article_id"])
        return applied

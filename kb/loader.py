"""Read and validate the knowledge base files `data/kb/*.yml` (see docs/kb-format.md)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.catalogue import Matter
from core.settings import get_settings

ASPECTS = ("conditions", "materials", "process", "offline", "fees", "time_limit", "progress", "faq", "tech")
MATTER_ASPECTS = ("conditions", "materials", "process", "offline", "fees", "time_limit", "progress")
MIN_FAQ = 8
MIN_ALIASES = 5
MAX_ANSWER = 120
PLATFORM_FILE = "platform-tech"
PLATFORM_DEPARTMENT = "bigdata-center"
_ID = re.compile(r"^[a-z0-9-]+\.[a-z0-9_-]+(?:\.[a-z0-9_-]+)?$")


class KBFormatError(ValueError):
    """The knowledge base files hold errors; `.problems` lists them."""

    def __init__(self, problems: list[str]):
        super().__init__(
            "; ".join(problems[:20]) + (f" (+{len(problems) - 20} more)" if len(problems) > 20 else "")
        )
        self.problems = problems


@dataclass(frozen=True)
class Article:
    """One knowledge-base article."""

    id: str
    matter: str | None
    department: str
    aspect: str
    title: str
    answer: str
    question: str = ""
    steps: tuple[str, ...] = ()
    source: str = ""
    effective_date: str = ""
    version: int = 1
    matter_name: str = ""
    aliases: tuple[str, ...] = ()

    def to_doc(self) -> dict[str, Any]:
        """The MongoDB document (without `_id`, `updated_at`)."""
        doc = asdict(self)
        doc["steps"] = list(self.steps)
        doc["aliases"] = list(self.aliases)
        doc.pop("id")
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Article:
        """Build an article from a MongoDB document."""
        return cls(
            id=str(doc["_id"]),
            matter=doc.get("matter"),
            department=doc.get("department") or "",
            aspect=doc.get("aspect") or "faq",
            title=doc.get("title") or "",
            answer=doc.get("answer") or "",
            question=doc.get("question") or "",
            steps=tuple(doc.get("steps") or ()),
            source=doc.get("source") or "",
            effective_date=str(doc.get("effective_date") or ""),
            version=int(doc.get("version") or 1),
            matter_name=doc.get("matter_name") or "",
            aliases=tuple(doc.get("aliases") or ()),
        )


@dataclass
class MatterFile:
    """The content of one `data/kb/<matter>.yml` file."""

    matter: str | None
    department: str
    name: str
    aliases: list[str]
    articles: list[Article]
    path: Path


@dataclass
class KnowledgeBase:
    """Every KB file, plus problems found while reading them."""

    files: list[MatterFile] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def articles(self) -> list[Article]:
        return [a for f in self.files for a in f.articles]

    def by_matter(self) -> dict[str | None, MatterFile]:
        return {f.matter: f for f in self.files}


def kb_dir() -> Path:
    return get_settings().data_dir / "kb"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _read_file(path: Path, catalogue: dict[str, Matter] | None, kb: KnowledgeBase) -> MatterFile | None:
    where = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        kb.errors.append(f"{where}: not valid YAML: {exc}")
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("articles"), list):
        kb.errors.append(f"{where}: expected a mapping with an `articles` list")
        return None
    matter = raw.get("matter")
    platform = path.stem == PLATFORM_FILE
    if platform:
        matter = None
    elif matter != path.stem:
        kb.errors.append(f"{where}: `matter` is {matter!r}, expected {path.stem!r}")
    if catalogue is not None and matter is not None and matter not in catalogue:
        kb.errors.append(f"{where}: matter {matter!r} is not in the catalogue")
    department = _text(raw.get("department")) or (PLATFORM_DEPARTMENT if platform else "")
    if catalogue is not None and matter in (catalogue or {}) and department != catalogue[matter].department:
        kb.warnings.append(f"{where}: department {department!r} differs from the catalogue")
    name = _text(raw.get("name")) or (
        catalogue[matter].name if catalogue and matter in catalogue else path.stem
    )
    aliases = [_text(a) for a in raw.get("aliases") or [] if _text(a)]
    if not platform and len(aliases) < MIN_ALIASES:
        kb.warnings.append(f"{where}: only {len(aliases)} aliases (want >= {MIN_ALIASES})")
    articles: list[Article] = []
    for i, item in enumerate(raw["articles"]):
        art = _read_article(item, f"{where}#{i}", matter, department, name, aliases, kb)
        if art is not None:
            articles.append(art)
    if not platform:
        have = {a.aspect for a in articles}
        missing = [a for a in MATTER_ASPECTS if a not in have]
        if missing:
            kb.warnings.append(f"{where}: no article for aspects {', '.join(missing)}")
        faqs = sum(1 for a in articles if a.aspect == "faq")
        if faqs < MIN_FAQ:
            kb.warnings.append(f"{where}: {faqs} faq articles (want >= {MIN_FAQ})")
    return MatterFile(matter, department, name, aliases, articles, path)


def _read_article(
    item: Any,
    where: str,
    matter: str | None,
    department: str,
    name: str,
    aliases: list[str],
    kb: KnowledgeBase,
) -> Article | None:
    if not isinstance(item, dict):
        kb.errors.append(f"{where}: article is not a mapping")
        return None
    art_id = _text(item.get("id"))
    aspect = _text(item.get("aspect"))
    problems = []
    if not art_id or not _ID.match(art_id):
        problems.append(f"bad id {art_id!r}")
    elif matter is not None and not art_id.startswith(matter + "."):
        problems.append(f"id {art_id!r} does not start with the matter id")
    if aspect not in ASPECTS:
        problems.append(f"bad aspect {aspect!r}")
    for key in ("title", "answer"):
        if not _text(item.get(key)):
            problems.append(f"missing {key}")
    if aspect == "faq" and not _text(item.get("question")):
        problems.append("faq article without question")
    steps = item.get("steps") or []
    if not isinstance(steps, list):
        problems.append("steps is not a list")
        steps = []
    version = item.get("version", 1)
    if not isinstance(version, int) or version < 1:
        problems.append(f"bad version {version!r}")
        version = 1
    if problems:
        kb.errors.extend(f"{where} ({art_id or '?'}): {p}" for p in problems)
        return None
    answer = _text(item.get("answer"))
    if len(answer) > MAX_ANSWER:
        kb.warnings.append(f"{where} ({art_id}): answer has {len(answer)} characters (max {MAX_ANSWER})")
    for key in ("source", "effective_date"):
        if not _text(item.get(key)):
            kb.warnings.append(f"{where} ({art_id}): missing {key}")
    return Article(
        id=art_id,
        matter=matter,
        department=department,
        aspect=aspect,
        title=_text(item.get("title")),
        answer=answer,
        question=_text(item.get("question")),
        steps=tuple(_text(s) for s in steps if _text(s)),
        source=_text(item.get("source")),
        effective_date=_text(item.get("effective_date")),
        version=version,
        matter_name=name,
        aliases=tuple(aliases),
    )


def load_kb(directory: Path | None = None, catalogue: dict[str, Matter] | None = None) -> KnowledgeBase:
    """Read every `*.yml` file of the KB directory; errors and warnings are collected, not raised."""
    directory = directory or kb_dir()
    kb = KnowledgeBase()
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")):
        mf = _read_file(path, catalogue, kb)
        if mf is None:
            continue
        for art in mf.articles:
            if art.id in seen:
                kb.errors.append(f"{path.name}: duplicate article id {art.id!r} (also in {seen[art.id]})")
            seen[art.id] = path.name
        kb.files.append(mf)
    return kb


def load_valid_kb(directory: Path | None = None, catalogue: dict[str, Matter] | None = None) -> KnowledgeBase:
    """Like `load_kb` but raise `KBFormatError` when there are errors."""
    kb = load_kb(directory, catalogue)
    if kb.errors:
        raise KBFormatError(kb.errors)
    return kb

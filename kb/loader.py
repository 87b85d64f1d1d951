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
from kb.guide import read_header
from kb.video_guides import LiveSession, VideoGuide, guides_from_doc, read_guides

ASPECTS = ("conditions", "materials", "process", "offline", "fees", "time_limit", "progress", "faq", "tech")
MATTER_ASPECTS = ("conditions", "materials", "process", "offline", "fees", "time_limit", "progress")
MIN_FAQ = 8
MIN_ALIASES = 5
MAX_ANSWER = 120
PARAPHRASES = (3, 6)  # how many other phrasings of its question an article should carry
PLATFORM_FILE = "platform-tech"
PLATFORM_DEPARTMENT = "bigdata-center"
_ID = re.compile(r"^[a-z0-9-]+\.[a-z0-9_-]+(?:\.[a-z0-9_-]+)?$")


@dataclass(frozen=True)
class ServiceEntry:
    """Where the matter is done online: the service's name and how to reach it."""

    name: str
    path: str


class _DatesAsText(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A safe loader that leaves dates as text, so an impossible date is one article's error. On libyaml's parser
    when PyYAML has it: the whole KB parses seven times faster (the trainer console lists matters from the files)."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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
    verified_date: str = ""
    service_entry: ServiceEntry | None = None
    paraphrases: tuple[str, ...] = ()
    videos: tuple[VideoGuide, ...] = ()
    live: tuple[LiveSession, ...] = ()

    def to_doc(self) -> dict[str, Any]:
        """The MongoDB document (without `_id`, `updated_at`)."""
        doc = asdict(self)
        for key in ("steps", "aliases", "paraphrases"):
            doc[key] = list(getattr(self, key))
        doc.pop("id")
        for key in ("videos", "live"):  # absent when empty: older articles keep their content hash
            if doc[key]:
                doc[key] = list(doc[key])
            else:
                del doc[key]
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
            verified_date=str(doc.get("verified_date") or ""),
            service_entry=_entry_from_doc(doc.get("service_entry")),
            paraphrases=tuple(doc.get("paraphrases") or ()),
            **guides_from_doc(doc),
        )


def _entry_from_doc(value: Any) -> ServiceEntry | None:
    if isinstance(value, dict) and value.get("name") and value.get("path"):
        return ServiceEntry(str(value["name"]), str(value["path"]))
    return None


@dataclass
class MatterFile:
    """The content of one `data/kb/<matter>.yml` file."""

    matter: str | None
    department: str
    name: str
    aliases: list[str]
    articles: list[Article]
    path: Path
    kind: str = ""
    guide: dict[str, Any] = field(default_factory=dict)
    retired: bool = False


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
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText)
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
    header, problems = read_header(raw)
    kb.errors.extend(f"{where}: {p}" for p in problems)
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
    return MatterFile(matter, department, name, aliases, articles, path, **header)


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
    warnings: list[str] = []
    extra = _read_added_fields(item, problems, warnings) | read_guides(item, problems)
    if problems:
        kb.errors.extend(f"{where} ({art_id or '?'}): {p}" for p in problems)
        return None
    answer = _text(item.get("answer"))
    if len(answer) > MAX_ANSWER:
        warnings.append(f"answer has {len(answer)} characters (max {MAX_ANSWER})")
    # a rule's date is given when known, never invented: an article without one is fine (issue 16)
    warnings += ["missing source"] if not _text(item.get("source")) else []
    kb.warnings.extend(f"{where} ({art_id}): {w}" for w in warnings)
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
        **extra,
    )


def _day(value: Any) -> dt.date | None:
    """A real calendar date from a YAML date or a `YYYY-MM-DD` string, else None."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _read_added_fields(item: dict, problems: list[str], warnings: list[str]) -> dict[str, Any]:
    """Validate `verified_date`, `effective_date`, `service_entry` and `paraphrases` (docs/kb-format.md)."""
    verified = _day(item.get("verified_date"))
    if item.get("verified_date") in (None, ""):
        problems.append("missing verified_date (the day the content was last checked, YYYY-MM-DD)")
    elif verified is None:
        problems.append(f"verified_date {item.get('verified_date')!r} is not a real date (YYYY-MM-DD)")
    elif verified > dt.date.today() + dt.timedelta(days=1):
        problems.append(f"verified_date {verified.isoformat()} is in the future")
    if item.get("effective_date") not in (None, "") and _day(item.get("effective_date")) is None:
        problems.append(f"effective_date {item.get('effective_date')!r} is not a real date (YYYY-MM-DD)")
    entry = item.get("service_entry")
    if entry is not None and not (
        isinstance(entry, dict) and _text(entry.get("name")) and _text(entry.get("path"))
    ):
        problems.append("service_entry must be a mapping with `name` and `path`")
        entry = None
    raw = item.get("paraphrases")
    if raw is not None and not (isinstance(raw, list) and all(isinstance(p, str) for p in raw)):
        problems.append("paraphrases is not a list of strings")
        raw = None
    phrases = [p.strip() for p in raw or [] if p.strip()]
    low, high = PARAPHRASES
    if not low <= len(phrases) <= high:
        warnings.append(f"{len(phrases)} paraphrases (want {low}-{high})")
    if len(set(phrases)) != len(phrases) or _text(item.get("question")) in phrases:
        warnings.append("paraphrases repeat each other or the question")
    return {
        "verified_date": verified.isoformat() if verified else "",
        "service_entry": ServiceEntry(_text(entry["name"]), _text(entry["path"])) if entry else None,
        "paraphrases": tuple(phrases),
    }


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

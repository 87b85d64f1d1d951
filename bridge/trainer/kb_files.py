"""Write one article back into its `data/kb/<matter>.yml` file, checked with the KB loader."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bridge.trainer import project
from core.catalogue import get_catalogue
from kb.loader import PLATFORM_FILE, load_kb


def file_for(matter: str | None, root: Path | None = None) -> Path:
    return (root or project.project_root()) / project.KB_DIR / f"{matter or PLATFORM_FILE}.yml"


def article_entry(art: dict[str, Any]) -> dict[str, Any]:
    """The YAML form of an article (see docs/kb-format.md)."""
    entry: dict[str, Any] = {"id": art["id"], "aspect": art["aspect"], "title": art["title"]}
    if art.get("question"):
        entry["question"] = art["question"]
    entry["answer"] = art["answer"]
    if art.get("steps"):
        entry["steps"] = list(art["steps"])
    entry["source"] = art.get("source") or ""
    entry["effective_date"] = art.get("effective_date") or ""
    # a trainer saving an article has checked it: that is its verification day
    entry["verified_date"] = art.get("verified_date") or dt.date.today().isoformat()
    entry["version"] = int(art.get("version") or 1)
    for key in ("service_entry", "paraphrases", "videos", "live"):
        if art.get(key):
            entry[key] = art[key]
    return entry


def with_article(text: str, art: dict[str, Any]) -> str:
    """The file text with `art` replacing the article of the same id (or appended)."""
    doc = yaml.safe_load(text) or {}
    articles = doc.setdefault("articles", [])
    entry = article_entry(art)
    for i, old in enumerate(articles):
        if isinstance(old, dict) and old.get("id") == art["id"]:
            # fields the console does not edit are kept from the file
            # (videos and live sessions are the console's: the saved article's own, kb_edit.py)
            entry.update({k: old[k] for k in ("service_entry", "paraphrases") if k in old and k not in entry})
            articles[i] = entry
            break
    else:
        articles.append(entry)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=None)


def check_file(name: str, text: str) -> list[str]:
    """KB loader errors of one file's new text (checked alone in a temp dir)."""
    tmp = Path(tempfile.mkdtemp(prefix="bangban-kb-"))
    try:
        (tmp / name).write_text(text, encoding="utf-8")
        return load_kb(tmp, get_catalogue().matters).errors
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read(matter: str | None) -> tuple[Path, str]:
    path = file_for(matter)
    if not path.exists():
        raise FileNotFoundError(path)
    return path, path.read_text(encoding="utf-8")

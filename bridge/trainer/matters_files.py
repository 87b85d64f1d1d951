"""The files a matter lives in under the trainer's project root: the catalogue line and the KB file.

`data/catalogue/matters.yml` is edited line by line (comments, alignment and every other line stay):
an edited matter's `- {id: …}` line is replaced, a new one is appended after the last matter line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from bridge.trainer import project
from core.catalogue import Matter

CATALOGUE = "data/catalogue/matters.yml"
_LINE = re.compile(r"^(\s*)-\s*\{\s*id:\s*([a-z0-9-]+)\s*,")
_PLAIN = re.compile(r"^[^\s,:{}\[\]#&*!|>'\"%@`?-][^,:{}\[\]#]*$")


def _scalar(text: str) -> str:
    return text if _PLAIN.match(text) and text == text.strip() else json.dumps(text, ensure_ascii=False)


def catalogue_line(m: Matter, indent: str = "  ") -> str:
    """The flow-mapping line of `m` in matters.yml."""
    line = (f"{indent}- {{id: {m.id}, name: {_scalar(m.name)}, kind: {m.kind}, department: {m.department}"
            + (", retired: true" if m.retired else "") + "}")
    return line


def with_matter(text: str, m: Matter) -> str:
    """matters.yml's text with `m`'s line replaced (same id) or appended after the last matter line."""
    lines = text.splitlines()
    last, indent, section = None, "  ", ""
    for i, line in enumerate(lines):
        if re.match(r"^[A-Za-z_]+:", line):
            section = line.split(":", 1)[0]
        found = _LINE.match(line)
        if not found or section != "matters":
            continue
        last, indent = i, found.group(1)
        if found.group(2) == m.id:
            lines[i] = catalogue_line(m, indent)
            return "\n".join(lines) + "\n"
    if last is None:
        raise ValueError("matters.yml has no matter line to append after")
    lines.insert(last + 1, catalogue_line(m, indent))
    return "\n".join(lines) + "\n"


def catalogue_path(root: Path | None = None) -> Path:
    return (root or project.project_root()) / CATALOGUE


def kb_path(matter: str, root: Path | None = None) -> Path:
    return (root or project.project_root()) / project.KB_DIR / f"{matter}.yml"


def read_kb(matter: str, root: Path | None = None) -> dict[str, Any] | None:
    """The raw mapping of a matter's KB file, None when there is none."""
    path = kb_path(matter, root)
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


KB_ORDER = ("matter", "department", "name", "kind", "retired", "aliases", "guide", "articles")


def kb_text(doc: dict[str, Any]) -> str:
    """A matter file's YAML text, header keys in the documented order."""
    ordered = {k: doc[k] for k in KB_ORDER if k in doc and (k != "retired" or doc[k])}
    ordered.update({k: v for k, v in doc.items() if k not in ordered and k not in KB_ORDER})
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=None)

"""The Rasa project the trainer edits: its root, its files, and temporary copies for checks.

The root is `BANGBAN_TRAINER_ROOT` when set (tests point it at a copy), else the
repository. It holds `config.yml`, `domain.yml` and `data/`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from core.settings import ROOT

NLU_DIR = "data/nlu"
RULES = "data/rules.yml"
STORIES = "data/stories.yml"
KB_DIR = "data/kb"
PROJECT_FILES = ("config.yml", "domain.yml")
PROJECT_DIRS = ("data/nlu", "data/jieba", "data/kb")


def project_root() -> Path:
    return Path(os.environ.get("BANGBAN_TRAINER_ROOT") or ROOT)


def nlu_files(root: Path | None = None) -> list[Path]:
    return sorted((root or project_root()).joinpath(NLU_DIR).glob("*.yml"))


def rel(path: Path, root: Path | None = None) -> str:
    return str(path.relative_to(root or project_root()))


def resolve(relpath: str, root: Path | None = None) -> Path:
    """A project path from a relative one, refusing anything outside the editable files."""
    root = root or project_root()
    path = (root / relpath).resolve()
    allowed = [root / NLU_DIR, root / RULES, root / STORIES, root / KB_DIR]
    if not any(path == a.resolve() or a.resolve() in path.parents for a in allowed):
        raise ValueError(f"not an editable project file: {relpath}")
    return path


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def temp_copy(changes: dict[str, str], root: Path | None = None) -> Path:
    """A throwaway copy of the project with `changes` (relative path -> new text) applied."""
    root = root or project_root()
    tmp = Path(tempfile.mkdtemp(prefix="bangban-trainer-"))
    for name in PROJECT_FILES:
        shutil.copy2(root / name, tmp / name)
    for name in (*PROJECT_DIRS, RULES, STORIES):
        src = root / name
        if src.is_dir():
            shutil.copytree(src, tmp / name, symlinks=True)
        elif src.exists():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, tmp / name)
    for relpath, text in changes.items():
        target = tmp / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return tmp

"""The Rasa project the trainer edits: its root, its files, and temporary copies for checks.

The root is `BANGBAN_TRAINER_ROOT` when set (tests point it at a copy), else the
repository. It holds `config.yml`, `domain.yml` and `data/`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

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


def editable(relpath: str) -> str:
    """`relpath` if it names an NLU, rules or stories file in normalized relative form, else ValueError.

    The text must already be normal: no absolute path, no `.`/`..`/empty parts, no backslash, so
    `data/nlu/../kb/x.yml` is refused rather than normalized. KB files go through the KB editor only.
    """
    parts = PurePosixPath(relpath).parts
    if (not relpath or "\\" in relpath or relpath.startswith("/") or "\0" in relpath
            or str(PurePosixPath(*parts)) != relpath or any(p in ("", ".", "..") for p in parts)):
        raise ValueError(f"not a normalized relative path: {relpath!r}")
    in_nlu = len(parts) == 3 and "/".join(parts[:2]) == NLU_DIR and relpath.endswith(".yml")
    if not (in_nlu or relpath in (RULES, STORIES)):
        raise ValueError(f"not an editable training file: {relpath}")
    return relpath


def resolve(relpath: str, root: Path | None = None) -> Path:
    """The path of an editable training file (see `editable`), refusing symlinks out of the project."""
    root = (root or project_root()).resolve()
    path = (root / editable(relpath)).resolve()
    if root not in path.parents:
        raise ValueError(f"not inside the project: {relpath}")
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
        target = (tmp / editable(relpath)).resolve()
        if tmp.resolve() not in target.parents:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ValueError(f"outside the temporary copy: {relpath}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return tmp

"""The shape the architecture promises (docs/architecture.md), checked on the source itself.

These read the code as text and syntax trees: no service is started.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bridge", "media", "core", "kb", "bot")
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 400


def _sources(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_functions_and_modules_are_short() -> None:
    too_long = []
    for path in _sources(*PACKAGES):
        src = path.read_text("utf-8")
        rel = path.relative_to(ROOT)
        if src.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{rel}: {src.count(chr(10))} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_long.append(f"{rel}:{node.lineno} {node.name}: {n} lines")
    assert not too_long, "\n".join(too_long)


def test_media_does_not_import_the_bridge() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _sources("media")
                 if any(m == "bridge" or m.startswith("bridge.") for m in _imports(p))]
    assert not offenders, offenders


def test_only_the_composition_root_imports_media() -> None:
    allowed = {"bridge/app.py", "bridge/media_port.py"}
    offenders = [str(p.relative_to(ROOT)) for p in _sources("bridge")
                 if any(m == "media" or m.startswith("media.") for m in _imports(p))
                 and str(p.relative_to(ROOT)) not in allowed]
    assert not offenders, offenders


def test_core_imports_nothing_above_it() -> None:
    above = ("bridge", "media", "kb", "bot", "ops")
    offenders = [str(p.relative_to(ROOT)) for p in _sources("core")
                 if any(m.split(".")[0] in above for m in _imports(p))]
    assert not offenders, offenders


def test_one_module_writes_messages() -> None:
    """Only the message store (used by the send path) inserts into the messages collection."""
    pattern = re.compile(r"messages\.(insert_one|insert_many|update_one|update_many|replace_one|bulk_write)\(")
    writers = {str(p.relative_to(ROOT)) for p in _sources("bridge", "media")
               if pattern.search(p.read_text("utf-8"))}
    assert writers <= {"bridge/infra/message_store.py"}, writers


def test_no_private_socketio_internals_outside_the_pinned_adapters() -> None:
    pattern = re.compile(r"\b(_handle_emit|data_is_binary|_send_packet|_emit_internal)\b")
    users = {str(p.relative_to(ROOT)) for p in _sources(*PACKAGES) if pattern.search(p.read_text("utf-8"))}
    assert users <= {"bridge/infra/sio_manager.py", "bridge/infra/sio_packet.py"}, users

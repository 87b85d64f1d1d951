"""Read the NLU, rules and stories files, and edit NLU examples in place (comments kept).

Edits are line-based on the `examples: |` literal block of one `- intent:` (or
`- synonym:`, `- lookup:`, `- regex:`) item, so the rest of the file is untouched.
Every function here is pure: text in, text out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.pii import mask_pii

KINDS = ("intent", "synonym", "lookup", "regex")
_HEADER = re.compile(r"^- (intent|synonym|lookup|regex):\s*(.+?)\s*$")
_ANNOT = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
MAX_EXAMPLE = 200


class EditError(ValueError):
    """An edit that cannot be applied; the message is shown to the trainer (Chinese)."""


@dataclass
class NluItem:
    kind: str
    name: str
    file: str
    examples: list[str] = field(default_factory=list)


def plain(example: str) -> str:
    """An example without entity annotations: `[居住证](matter)怎么办` -> `居住证怎么办`."""
    return _ANNOT.sub(r"\1", example).strip()


def split_examples(block: Any) -> list[str]:
    """The examples of a literal block (`- text` lines)."""
    if not isinstance(block, str):
        return []
    out = []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("- "):
            out.append(line[2:].strip())
        elif line == "-":
            out.append("")
    return out


def read_items(path: Path, relname: str) -> list[NluItem]:
    """The items of one NLU file (assumed well-formed; see `validate.schema_problems`)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = []
    for raw in doc.get("nlu") or []:
        if not isinstance(raw, dict):
            continue
        kind = next((k for k in KINDS if k in raw), None)
        if kind is None:
            continue
        items.append(NluItem(kind, str(raw[kind]), relname, split_examples(raw.get("examples"))))
    return items


def check_example(text: str) -> str:
    """The example as stored: stripped, one line, with ID, phone and bank-card numbers masked (PIPL)."""
    text = mask_pii((text or "").strip())
    if not text:
        raise EditError("例句不能为空。")
    if "\n" in text or "\r" in text:
        raise EditError("例句不能换行。")
    if len(text) > MAX_EXAMPLE:
        raise EditError(f"例句不能超过{MAX_EXAMPLE}个字符。")
    return text


def _unquote(name: str) -> str:
    return name.strip().strip("'\"")


def _block(lines: list[str], kind: str, name: str) -> tuple[int, list[int], str]:
    """(first header index, example line indices, example indent) of one item; an item may be written
    in several blocks of one file (the generated matter files do so): their examples count together."""
    headers = [i for i, line in enumerate(lines)
               if (m := _HEADER.match(line)) and m.group(1) == kind and _unquote(m.group(2)) == name]
    if not headers:
        raise EditError(f"没有找到{'意图' if kind == 'intent' else '条目'}“{name}”。")
    examples: list[int] = []
    indent = "    "
    for i in headers:
        found, found_indent = _examples_after(lines, i)
        examples += found
        indent = found_indent if found else indent
    if not examples:
        raise EditError(f"“{name}”没有可编辑的例句块。")
    return headers[0], examples, indent


def _examples_after(lines: list[str], i: int) -> tuple[list[int], str]:
    """Example line indices and their indent in the `examples: |` block of the item headed at line `i`."""
    examples: list[int] = []
    indent = "    "
    in_block = False
    for j in range(i + 1, len(lines)):
        cur = lines[j]
        if cur.startswith("- ") or (cur.strip() and not cur.startswith(" ")):
            break
        stripped = cur.strip()
        if re.match(r"^\s{2}examples:\s*\|[-+]?\s*$", cur):
            in_block = True
            continue
        if in_block:
            if stripped and len(cur) - len(cur.lstrip()) <= 2:
                in_block = False
                continue
            if stripped.startswith("- ") or stripped == "-":
                examples.append(j)
                indent = cur[: len(cur) - len(cur.lstrip())]
    return examples, indent


def _example_at(lines: list[str], idx: int) -> str:
    return lines[idx].strip()[2:].strip()


def add_example(text: str, kind: str, name: str, example: str) -> str:
    """The file text with `example` appended to the item's examples."""
    example = check_example(example)
    lines = text.splitlines()
    _, idx, indent = _block(lines, kind, name)
    if any(_example_at(lines, j) == example for j in idx):
        raise EditError("该例句已存在。")
    lines.insert(idx[-1] + 1, f"{indent}- {example}")
    return "\n".join(lines) + "\n"


def edit_example(text: str, kind: str, name: str, old: str, new: str) -> str:
    """The file text with example `old` replaced by `new`."""
    new = check_example(new)
    lines = text.splitlines()
    _, idx, indent = _block(lines, kind, name)
    hits = [j for j in idx if _example_at(lines, j) == old.strip()]
    if not hits:
        raise EditError("没有找到要修改的例句（可能已被他人修改，请刷新）。")
    if old.strip() != new and any(_example_at(lines, j) == new for j in idx):
        raise EditError("该例句已存在。")
    lines[hits[0]] = f"{indent}- {new}"
    return "\n".join(lines) + "\n"


def delete_example(text: str, kind: str, name: str, example: str) -> str:
    """The file text without `example`."""
    lines = text.splitlines()
    _, idx, _ = _block(lines, kind, name)
    hits = [j for j in idx if _example_at(lines, j) == example.strip()]
    if not hits:
        raise EditError("没有找到要删除的例句（可能已被他人修改，请刷新）。")
    if len(idx) == 1:
        raise EditError("至少要保留一条例句。")
    del lines[hits[0]]
    return "\n".join(lines) + "\n"


def steps_using(doc: dict, section: str, label: str) -> dict[str, list[str]]:
    """intent -> names of the rules (or stories) whose steps use it."""
    out: dict[str, list[str]] = {}
    for item in (doc or {}).get(section) or []:
        if not isinstance(item, dict):
            continue
        for step in item.get("steps") or []:
            if isinstance(step, dict) and "intent" in step:
                out.setdefault(str(step["intent"]), []).append(str(item.get(label, "")))
    return out

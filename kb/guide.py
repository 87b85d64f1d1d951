"""The matter header of a KB file: `kind`, `retired` and the `guide:` block (national 实施清单 fields).

See docs/kb-format.md ("Matter header"). Every guide field is optional; unknown keys are errors.
"""

from __future__ import annotations

from typing import Any

KINDS = ("person", "enterprise")
GUIDE_TEXT = ("title", "url", "code", "target", "legal_limit", "promised_limit", "fee", "hotline")
GUIDE_KEYS = (*GUIDE_TEXT, "online_entry", "locations")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def check_kind(value: Any) -> tuple[str, list[str]]:
    """The matter's kind (`person` or `enterprise`, empty when absent) and the problems found."""
    kind = _text(value)
    if kind and kind not in KINDS:
        return "", [f"kind {kind!r} is not one of {', '.join(KINDS)}"]
    return kind, []


def check_guide(value: Any) -> tuple[dict[str, Any], list[str]]:
    """The validated guide block (only the keys given, texts stripped) and the problems found."""
    if value in (None, {}):
        return {}, []
    if not isinstance(value, dict):
        return {}, ["guide must be a mapping"]
    problems = [f"guide: unknown key {k!r}" for k in value if k not in GUIDE_KEYS]
    guide: dict[str, Any] = {}
    for key in GUIDE_TEXT:
        if value.get(key) not in (None, ""):
            if isinstance(value[key], (dict, list)):
                problems.append(f"guide.{key} must be text")
                continue
            guide[key] = _text(value[key])
    if guide.get("url") and not guide["url"].startswith("https://"):
        problems.append(f"guide.url must be an https:// link, not {guide['url']!r}")
    entry = value.get("online_entry")
    if entry is not None:
        if isinstance(entry, dict) and set(entry) <= {"name", "path"} and _text(entry.get("name")):
            guide["online_entry"] = {k: _text(entry.get(k)) for k in ("name", "path") if _text(entry.get(k))}
        else:
            problems.append("guide.online_entry must be a mapping with `name` (and `path`)")
    places = value.get("locations")
    if places is not None:
        if isinstance(places, list) and all(
            isinstance(p, dict) and set(p) <= {"name", "hours"} and _text(p.get("name")) for p in places
        ):
            guide["locations"] = [{k: _text(p.get(k)) for k in ("name", "hours") if _text(p.get(k))}
                                  for p in places]
        else:
            problems.append("guide.locations must be a list of mappings with `name` (and `hours`)")
    return guide, problems


def read_header(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`{kind, guide, retired}` of a KB file's top-level mapping, and the problems found."""
    kind, problems = check_kind(raw.get("kind"))
    guide, more = check_guide(raw.get("guide"))
    retired = raw.get("retired", False)
    if not isinstance(retired, bool):
        more.append("retired must be true or false")
        retired = False
    return {"kind": kind, "guide": guide, "retired": retired}, problems + more

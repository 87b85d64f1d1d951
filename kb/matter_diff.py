"""What an import changes in a matter file: merging a guide file into it and the dry-run diff."""

from __future__ import annotations

from typing import Any

HEADER = ("name", "kind", "department", "aliases", "guide", "retired")
ARTICLE_FIELDS = ("aspect", "title", "question", "answer", "steps", "source", "effective_date", "service_entry",
                  "paraphrases")
KEPT_FROM_OLD = ("paraphrases", "effective_date")  # a guide file does not carry them


def merge_guide(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """A guide file's matter file laid over the current one.

    The guide's aspect and FAQ articles replace those of the same id; other articles of the file stay;
    aliases, kind and the guide's fields stay when the guide file does not give them; an article keeps its
    paraphrases and effective date unless the new one has them.
    """
    if not old:
        return new
    out = {**old, **{k: v for k, v in new.items() if v not in (None, "", [], {}) and k != "articles"}}
    out["guide"] = {**(old.get("guide") or {}), **(new.get("guide") or {})}
    olds = {a.get("id"): a for a in old.get("articles") or [] if isinstance(a, dict)}
    arts = []
    for art in new.get("articles") or []:
        before = olds.get(art["id"]) or {}
        arts.append({**art, **{k: before[k] for k in KEPT_FROM_OLD if before.get(k) and not art.get(k)}})
    ids = {a["id"] for a in arts}
    out["articles"] = [a for a in old.get("articles") or [] if a.get("id") not in ids] + arts
    return out


def _changes(old: dict[str, Any], new: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if (old.get(k) or None) != (new.get(k) or None)]


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """`{new_matter, fields: [{field, old, new}], articles: {added, changed: [{id, fields}], removed}}`."""
    old = old or {}
    fields = [{"field": k, "old": old.get(k), "new": new.get(k)} for k in _changes(old, new, HEADER)]
    before = {a.get("id"): a for a in old.get("articles") or [] if isinstance(a, dict)}
    after = {a.get("id"): a for a in new.get("articles") or [] if isinstance(a, dict)}
    changed = [{"id": i, "fields": f} for i, a in after.items()
               if i in before and (f := _changes(before[i], a, ARTICLE_FIELDS))]
    return {"new_matter": not old, "fields": fields,
            "articles": {"added": [i for i in after if i not in before], "changed": changed,
                         "removed": [i for i in before if i not in after]}}

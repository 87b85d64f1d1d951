"""Import the KB files into MongoDB: `python -m kb.importer [--dir data/kb] [--prune]`.

Articles are upserted into `kb_articles` with `_id` = article id. An article whose
content changed gets a new `updated_at` and a version above the stored one; then
the KB revision is bumped and a `kb_meta` history entry is written, so every
`KBSearcher` reloads within a second.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from pathlib import Path

from core import clock
from core.catalogue import get_catalogue
from core.db import Store, connect
from kb.loader import KBFormatError, KnowledgeBase, load_valid_kb
from kb.search import REVISION_ID

ORIGIN = "file"


def content_hash(doc: dict) -> str:
    """Stable hash of an article's content (not its version or bookkeeping)."""
    body = {
        k: v for k, v in doc.items() if k not in ("version", "updated_at", "content_hash", "origin", "_id")
    }
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


async def bump_revision(store: Store, note: str = "", changed: list[str] | None = None) -> int:
    """Announce a KB change to every searcher; returns the new revision number."""
    now = clock.now()
    await store.kb_meta.update_one(
        {"_id": REVISION_ID}, {"$inc": {"rev": 1}, "$set": {"updated_at": now, "note": note}}, upsert=True
    )
    doc = await store.kb_meta.find_one({"_id": REVISION_ID})
    rev = int(doc["rev"])
    await store.kb_meta.insert_one(
        {
            "_id": f"rev-{rev}-{now.timestamp():.6f}",
            "kind": "revision",
            "rev": rev,
            "ts": now,
            "note": note,
            "changed": (changed or [])[:1000],
        }
    )
    return rev


async def import_kb(store: Store, kb: KnowledgeBase, prune: bool = False) -> dict[str, int]:
    """Upsert every article of `kb`; returns counts (inserted, updated, unchanged, pruned)."""
    now = clock.now()
    existing = {
        d["_id"]: d
        for d in await store.kb_articles.find({}, {"version": 1, "content_hash": 1, "origin": 1}).to_list(
            None
        )
    }
    counts = {"inserted": 0, "updated": 0, "unchanged": 0, "pruned": 0}
    changed: list[str] = []
    retired = {f.matter for f in kb.files if f.retired}  # kept in the files, not searched (kb.versions.INACTIVE)
    for art in kb.articles:
        doc = art.to_doc()
        digest = content_hash(doc)
        old = existing.get(art.id)
        if old is not None and old.get("content_hash") == digest:
            counts["unchanged"] += 1
            continue
        version = art.version if old is None else max(art.version, int(old.get("version") or 0) + 1)
        doc.update(version=version, updated_at=now, content_hash=digest, origin=ORIGIN,
                   status="retired" if art.matter in retired else "published")
        await store.kb_articles.replace_one({"_id": art.id}, doc, upsert=True)
        counts["inserted" if old is None else "updated"] += 1
        changed.append(art.id)
    if prune:
        wanted = {a.id for a in kb.articles}
        gone = [i for i, d in existing.items() if i not in wanted and d.get("origin") == ORIGIN]
        if gone:
            result = await store.kb_articles.delete_many({"_id": {"$in": gone}})
            counts["pruned"] = result.deleted_count
            changed.extend(gone)
    if changed:
        await bump_revision(store, note="import", changed=changed)
    return counts


async def _main(directory: Path | None, prune: bool) -> int:
    try:
        kb = load_valid_kb(directory, get_catalogue().matters)
    except KBFormatError as exc:
        for p in exc.problems:
            print(f"error: {p}", file=sys.stderr)
        return 2
    for w in kb.warnings:
        print(f"warning: {w}", file=sys.stderr)
    store = connect()
    try:
        await store.ensure_indexes()
        counts = await import_kb(store, kb, prune=prune)
        total = await store.kb_articles.count_documents({})
    finally:
        await store.close()
    print(
        f"files {len(kb.files)}, articles {len(kb.articles)}: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f"; kb_articles now holds {total}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb.importer", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="KB directory (default: data/kb)")
    parser.add_argument(
        "--prune", action="store_true", help="delete imported articles no longer in the files"
    )
    args = parser.parse_args(argv)
    return asyncio.run(_main(args.dir, args.prune))


if __name__ == "__main__":
    sys.exit(main())

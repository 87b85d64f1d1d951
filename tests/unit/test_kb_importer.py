"""Importer and live reload against a real embedded MongoDB: an edited article is live without retraining."""

from __future__ import annotations

import dataclasses

import pytest
import secantus
from pymongo import AsyncMongoClient

from core.db import Store
from kb.importer import content_hash, import_kb
from kb.loader import KnowledgeBase, MatterFile, load_kb
from kb.search import KBSearcher


@pytest.fixture(scope="module")
def mongo_uri(tmp_path_factory):
    server = secantus.SecantusDBServer(storage_path=str(tmp_path_factory.mktemp("kbdb")), port=0)
    server.start()
    yield server.uri + ("&" if "?" in server.uri else "?") + "retryWrites=false"
    server.stop()


def test_content_hash_ignores_bookkeeping():
    doc = {"title": "t", "answer": "a", "version": 1}
    assert content_hash(doc) == content_hash({**doc, "version": 7, "updated_at": 1, "origin": "file"})
    assert content_hash(doc) != content_hash({**doc, "answer": "b"})


async def test_import_then_edit_is_live_for_searchers(mongo_uri):
    client: AsyncMongoClient = AsyncMongoClient(mongo_uri, tz_aware=True)
    store = Store(client=client, db=client["kbtest"])
    try:
        kb = load_kb()
        counts = await import_kb(store, kb)
        assert counts["inserted"] == len(kb.articles) >= 300
        again = await import_kb(store, kb)
        assert again == {"inserted": 0, "updated": 0, "unchanged": len(kb.articles), "pruned": 0}

        searcher = KBSearcher(store, check_interval_s=0.0)
        idx = await searcher.refresh()
        old = idx.get("housing-fund-withdrawal.materials")
        assert old is not None and len(idx) == len(kb.articles)

        edited = dataclasses.replace(old, answer="带上身份证即可（测试修改）")
        files = [
            MatterFile(
                old.matter, old.department, old.matter_name, list(old.aliases), [edited], kb.files[0].path
            )
        ]
        counts = await import_kb(store, KnowledgeBase(files=files))
        assert counts["updated"] == 1
        doc = await store.kb_articles.find_one({"_id": old.id})
        assert doc["version"] == old.version + 1 and doc["updated_at"] is not None

        fresh = (await searcher.refresh()).get(old.id)
        assert fresh.answer == "带上身份证即可（测试修改）"
        history = await store.kb_meta.count_documents({"kind": "revision"})
        assert history == 2
    finally:
        await client.close()

"""The trainer console's go-live check scores article accuracy with the brain over the live KB."""

from __future__ import annotations

import asyncio
import builtins
import io
from types import SimpleNamespace

from bridge.trainer import evaluation
from bridge.trainer.training import Trainer
from core.settings import ROOT
from kb.loader import load_kb

QUESTIONS = [
    {"text": "补办社保卡要不要钱", "matter": "social-security-card", "scope": "in_scope", "aspect": "fees",
     "articles": ["social-security-card.fees"]},
    {"text": "钱多久能到账", "after": "我退休了想把住房公积金全部提出来", "matter": "housing-fund-withdrawal",
     "scope": "in_scope", "aspect": "time_limit", "articles": ["housing-fund-withdrawal.time_limit"]},
    {"text": "推荐个餐厅", "scope": "chitchat", "kind": "chitchat", "articles": []},
]
INTENTS = ["ask_fees", "ask_matter", "ask_time_limit", "chitchat"]  # the follow-up's `after` turn comes first


class Worker:
    async def call(self, request: dict) -> dict:
        assert request["texts"][1:3] == [QUESTIONS[1]["after"], QUESTIONS[1]["text"]]
        return {"ok": True, "results": [{"intent": i, "confidence": 0.8, "intent_ranking": [{"name": i,
                                         "confidence": 0.8}], "entities": []} for i in INTENTS]}


class Cursor:
    def __init__(self, docs: list[dict]) -> None:
        self.docs = docs

    async def to_list(self, _n) -> list[dict]:
        return self.docs


class LiveStore(SimpleNamespace):
    """kb_articles as above; `trainer_live` holds the figures stored when the live model went live."""

    def __init__(self, docs: list[dict], live: dict | None) -> None:
        async def find_one(q):
            return live if live and q == {"_id": "rasa"} else None
        super().__init__(kb_articles=SimpleNamespace(find=lambda *a, **k: Cursor(docs)),
                         trainer_live=SimpleNamespace(find_one=find_one))


def test_go_live_check_uses_article_accuracy(monkeypatch):
    monkeypatch.setattr(evaluation, "load_golive", lambda: QUESTIONS)
    docs = [{**a.to_doc(), "_id": a.id} for a in load_kb().articles]
    store = LiveStore(docs, None)
    trainer = Trainer(store, SimpleNamespace(rasa_url="http://127.0.0.1:9", rasa_auth={}), Worker())
    result = asyncio.run(trainer._evaluate("model.tar.gz"))
    assert result["accuracy"] == 1.0 and result["passed"] and result["live_accuracy"] is None
    assert result["questions"] == 3 and result["errors"] == []
    assert "答案准确率" in result["verdict"]
    assert evaluation.GOLIVE.parts[-3:] == ("data", "eval", "golive.yml")


def test_go_live_refuses_a_drop_below_the_stored_live_figure_and_reads_nothing_under_tests(monkeypatch):
    monkeypatch.setattr(evaluation, "load_golive", lambda: QUESTIONS)
    docs = [{**a.to_doc(), "_id": a.id} for a in load_kb().articles]
    digest = evaluation.set_digest()
    settings = SimpleNamespace(rasa_url="http://127.0.0.1:9", rasa_auth={})
    opened: list[str] = []
    real_open = io.open

    def spy(file, *a, **k):
        opened.append(str(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr(io, "open", spy)
    monkeypatch.setattr(builtins, "open", spy)
    # no live Rasa to ask: the figure stored at go-live (same set) is the bar, and 100 % is not below it
    result = asyncio.run(Trainer(LiveStore(docs, {"accuracy": 1.0, "set": digest}), settings, Worker())
                         ._evaluate("model.tar.gz"))
    assert result["passed"] and result["live_accuracy"] == 1.0 and result["live_source"] == "stored"
    # a live model that answered better: the candidate (100 % of 2) is refused
    result = asyncio.run(Trainer(LiveStore(docs, {"accuracy": 1.01, "set": digest}), settings, Worker())
                         ._evaluate("model.tar.gz"))
    assert not result["passed"] and "低于线上模型" in result["verdict"]
    # a figure measured on another set does not count
    result = asyncio.run(Trainer(LiveStore(docs, {"accuracy": 1.01, "set": "other"}), settings, Worker())
                         ._evaluate("model.tar.gz"))
    assert result["passed"] and result["live_accuracy"] is None
    tests_dir = str(ROOT / "tests")
    assert opened and not [p for p in opened if p.startswith(tests_dir)], opened

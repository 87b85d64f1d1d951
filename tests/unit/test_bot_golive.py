"""The trainer console's go-live check scores article accuracy with the brain over the live KB."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from bridge.trainer import evaluation
from bridge.trainer.training import Trainer
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


def test_go_live_check_uses_article_accuracy(monkeypatch):
    monkeypatch.setattr(evaluation, "load_golive", lambda: QUESTIONS)
    docs = [{**a.to_doc(), "_id": a.id} for a in load_kb().articles]
    store = SimpleNamespace(kb_articles=SimpleNamespace(find=lambda *a, **k: Cursor(docs)))
    trainer = Trainer(store, SimpleNamespace(rasa_url="http://127.0.0.1:9", rasa_auth={}), Worker())
    result = asyncio.run(trainer._evaluate("model.tar.gz"))
    assert result["accuracy"] == 1.0 and result["passed"] and result["live_accuracy"] is None
    assert result["questions"] == 3 and result["errors"] == []
    assert "答案准确率" in result["verdict"]
    assert evaluation.GOLIVE.parts[-3:] == ("data", "eval", "golive.yml")

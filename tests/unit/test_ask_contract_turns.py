"""`bench/ask_contract.py`: whole conversations (`turns:`), with button clicks, played without a system."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bench.ask_contract import find_button, load_questions, play_conversation, turn_text

ARGS = argparse.Namespace(quiet=0.1, timeout=1.0)
OFFER = [{"role": "bot", "text": "您想问的是？", "meta": {},
          "buttons": [{"title": "居住证", "payload": '/choose_matter{"matter": "residence-permit"}'},
                      {"title": "居住证积分", "payload": '/choose_matter{"matter": "residence-points"}'},
                      {"title": "转人工", "payload": "/request_human"}]}]


class FakeCitizen:
    """Answers each typed text with a scripted reply and records what was sent."""

    def __init__(self, replies: list[list[dict[str, Any]]]) -> None:
        self.replies = list(replies)
        self.sent: list[tuple[str, str | None]] = []
        self.handoffs: list[str] = []

    async def ask(self, text: str, conversation_id: str | None, quiet: float, timeout: float) -> dict[str, Any]:
        self.sent.append((text, conversation_id))
        return {"conversation_id": "c1", "replies": self.replies.pop(0), "states": [], "ack_ms": 1.0,
                "first_reply_ms": 2.0}

    async def handoff(self, conversation_id: str, quiet: float, timeout: float) -> dict[str, Any]:
        self.handoffs.append(conversation_id)
        return {"conversation_id": conversation_id, "replies": [], "states": ["queued"], "ack_ms": 1.0,
                "first_reply_ms": None}


def test_turn_texts_and_clicks():
    assert turn_text("要带什么") == "要带什么"
    assert turn_text({"text": "多少钱"}) == "多少钱"
    assert turn_text({"button": "residence-permit"}) is None


def test_find_button_by_the_id_its_payload_names():
    assert find_button(OFFER, "residence-points")["title"] == "居住证积分"
    assert find_button(OFFER, "request_human")["payload"] == "/request_human"
    assert find_button(OFFER, "housing-fund-loan") is None


def test_conversations_file_loads(tmp_path: Path):
    f = tmp_path / "c.yml"
    f.write_text("conversations:\n- id: c1\n  turns: [居住证, {button: residence-permit}]\n", encoding="utf-8")
    assert load_questions(f) == [{"id": "c1", "turns": ["居住证", {"button": "residence-permit"}]}]


def test_a_conversation_records_every_turn_and_sends_the_clicked_payload():
    answer = [{"role": "bot", "text": "居住证材料…", "buttons": [],
               "meta": {"matter": "residence-permit", "kb_article": "rp-materials"}}]
    citizen = FakeCitizen([OFFER, answer, answer])
    record = asyncio.run(play_conversation(citizen, ARGS, ["办证", {"button": "residence-permit"}, "要带什么"]))
    assert citizen.sent == [("办证", None), ('/choose_matter{"matter": "residence-permit"}', "c1"), ("要带什么", "c1")]
    assert [t["meta"].get("matter") for t in record["turn_records"]] == [None, "residence-permit", "residence-permit"]
    assert record["meta"]["kb_article"] == "rp-materials" and record["handoff"] is False


def test_a_click_on_a_missing_button_is_recorded_and_the_human_button_hands_off():
    citizen = FakeCitizen([OFFER, []])
    record = asyncio.run(play_conversation(
        citizen, ARGS, ["办证", {"button": "housing-fund-loan"}, {"button": "request_human"}]))
    turns = record["turn_records"]
    assert turns[1]["error"] == "no such button" and not turns[1]["handoff"]
    assert citizen.handoffs == ["c1"] and turns[2]["handoff"] and record["handoff"]

"""`bench/ask_contract.py` against the real system: questions asked over Socket.IO, one citizen each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

# Written for this test (not from the training data or the knowledge base).
QUESTIONS = [
    {"id": "a", "text": "我想把公积金取出来交房租 要准备些啥", "matter": "housing-fund-withdrawal",
     "aspect": "materials"},
    {"id": "b", "after": "a", "text": "那大概几天能到账", "matter": "housing-fund-withdrawal"},
    {"id": "c", "text": "转人工", "scope": "human"},
]


def test_each_question_is_recorded_with_replies_meta_handoff_and_latency(system, tmp_path):
    questions, out = tmp_path / "q.yml", tmp_path / "out.jsonl"
    questions.write_text(yaml.safe_dump({"questions": QUESTIONS}, allow_unicode=True), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bench.ask_contract", "--file", str(questions), "--out", str(out),
                          "--base", system.base_url, "--quiet", "2.0"],
                         cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    records = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(records) == {"a", "b", "c"} and not any("error" in r for r in records.values()), records
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["questions"] == 3 and summary["errors"] == 0, summary

    first = records["a"]
    assert first["aspect"] == "materials"  # the question's labels ride along
    assert first["meta"]["matter"] == "housing-fund-withdrawal", first["meta"]
    assert first["meta"]["kb_article"].startswith("housing-fund-withdrawal"), first["meta"]
    assert set(first["meta"]) >= {"intent", "confidence", "scope"} and first["meta"]["scope"] == "in_scope"
    assert first["replies"][0]["role"] == "bot" and len(first["replies"][0]["text"]) > 20
    assert first["handoff"] is False and first["ack_ms"] > 0 and first["first_reply_ms"] >= first["ack_ms"]

    follow = records["b"]  # asked after its first turn, in that turn's conversation
    assert follow["after_text"] == QUESTIONS[0]["text"] and follow["after_replies"], follow
    assert follow["after_meta"]["matter"] == "housing-fund-withdrawal", follow["after_meta"]
    assert follow["conversation_id"] != first["conversation_id"]
    assert follow["meta"]["matter"] == "housing-fund-withdrawal", follow["meta"]

    person = records["c"]
    assert person["handoff"] is True and {"queued", "with_agent"} & set(person["states"]), person
    assert person["meta"].get("kb_article") is None, person["meta"]

"""Trainer discipline for the NLU data: volume per intent, every matter covered, no held-out leak."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

from bot import nlu_build
from core.catalogue import get_catalogue
from core.settings import ROOT

NLU = ROOT / "data" / "nlu"
REQUIRED = {
    "ask_matter",
    "ask_conditions",
    "ask_materials",
    "ask_process",
    "ask_fees",
    "ask_time_limit",
    "ask_progress",
    "ask_offline",
    "complaint_or_legal",
    "platform_tech",
    "chitchat",
    "greet",
    "thanks",
    "goodbye",
    "request_human",
    "affirm",
    "deny",
    "feedback_resolved",
    "feedback_unresolved",
}
_ANNOT = re.compile(r"\[([^\]]+)\]\(matter\)")


def _examples() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in NLU.glob("*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in item:
                lines = [x[2:].strip() for x in item["examples"].splitlines() if x.strip().startswith("- ")]
                out.setdefault(item["intent"], []).extend(lines)
    return out


def _plain(example: str) -> str:
    return _ANNOT.sub(r"\1", example)


def test_every_intent_has_20_distinct_examples():
    ex = _examples()
    assert REQUIRED <= set(ex)
    for intent in REQUIRED:
        assert len(set(ex[intent])) >= 20, intent
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) == set(ex)


def test_every_catalogue_matter_has_nlu_examples_and_lookup_entries():
    owners = nlu_build.phrase_owners()
    counts: Counter[str] = Counter()
    for examples in _examples().values():
        for e in examples:
            for phrase in _ANNOT.findall(e):
                (matter,) = owners[phrase]
                counts[matter] += 1
    synonyms = {
        item["synonym"]
        for item in yaml.safe_load((NLU / "matters.yml").read_text(encoding="utf-8"))["nlu"]
        if "synonym" in item
    }
    for matter in get_catalogue().matters:
        assert counts[matter] >= 3, f"{matter}: {counts[matter]} annotated NLU examples"
        assert matter in synonyms, f"{matter}: no synonyms in data/nlu/matters.yml"


def test_generated_entity_data_is_current():
    assert nlu_build.main(["--check"]) == 0


def test_heldout_questions_are_not_training_examples():
    train = {_plain(e) for exs in _examples().values() for e in exs}
    held = yaml.safe_load((ROOT / "tests" / "data" / "heldout.yml").read_text(encoding="utf-8"))["questions"]
    assert len(held) >= 150
    assert not [q["text"] for q in held if q["text"] in train]
    matters = set(get_catalogue().matters)
    assert {q["matter"] for q in held if q["matter"]} == matters
    for q in held:
        assert q["scope"] in {"in_scope", "complaint_or_legal", "chitchat", "platform_tech", "unknown"}


def test_rasa_configs_exist_and_name_the_user_dictionary():
    for name in ("config.yml", "config-diet.yml"):
        cfg = yaml.safe_load(Path(ROOT / name).read_text(encoding="utf-8"))
        (jieba,) = [c for c in cfg["pipeline"] if c["name"] == "JiebaTokenizer"]
        assert (ROOT / jieba["dictionary_path"] / "userdict.txt").exists()
        assert any(c["name"] == "FallbackClassifier" for c in cfg["pipeline"])

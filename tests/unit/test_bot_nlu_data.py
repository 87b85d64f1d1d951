"""Trainer discipline for the NLU data: volume per intent, every matter covered, no held-out leak."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import yaml

from bot import nlu_build
from bot.scoring import ASPECTS, DEV, FIELDS, KINDS, NO_ARTICLE_KINDS, SCOPES, heldout_files, load_questions
from bridge.trainer.evaluation import GOLIVE
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


def test_examples_that_take_no_matter_hold_no_run_of_digits():
    # citizens type phone and ID numbers; with character n-grams a digit run in a small-talk example
    # (a hotline's number) pulled any text holding those digits to small talk, matter question or not
    ex = _examples()
    for intent in ("chitchat", "thanks", "greet", "goodbye", "request_human"):
        digits = [e for e in ex.get(intent, []) if re.search(r"\d{3,}", _plain(e))]
        assert not digits, (intent, digits)


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


# The evaluation sets (never trained on) and the least number of questions each must hold.
EVAL_SETS = {"heldout": (heldout_files(), 320), "golive": ([GOLIVE], 80)}  # heldout-*.yml: the matter waves
LEAK_SETS = {**EVAL_SETS, "dev": ([DEV], 100)}  # the dev questions are checked for leaks and overlap too
LEAK_SETS["dev-wave2-a"] = ([DEV.parent / "dev-wave2-a.yml"], 100)  # session 6: wave-2 dev questions
LEAK_SETS["dev-wave2-b"] = ([DEV.parent / "dev-wave2-b.yml"], 100)  # wave-2 dev questions (session 6)
LEAK_SETS["dev-s7-matter"] = ([DEV.parent / "dev-s7-matter.yml"], 70)  # session 7: matter, scope, persons
LEAK_SETS["dev-s8-faq"] = ([DEV.parent / "dev-s8-faq.yml"], 150)  # session 8: specific questions answered by one FAQ
LEAK_SETS["dev-s8-matter"] = ([DEV.parent / "dev-s8-matter.yml"], 100)  # session 8: look-alike matters, persons
LEAK_SETS["dev-s9-article"] = ([DEV.parent / "dev-s9-article.yml"], 120)  # session 9: no aspect, process, offline
LEAK_SETS["dev-s9-matter"] = ([DEV.parent / "dev-s9-matter.yml"], 100)  # session 9: look-alike pairs, vague, persons
LEAK_SETS["dev-s10"] = ([DEV.parent / "dev-s10.yml"], 150)  # session 10: persons of new kinds, near-misses, matters
LEAK_SETS["dev-s10-article"] = ([DEV.parent / "dev-s10-article.yml"], 80)  # session 10: how/where, eligibility
LEAK_SETS["dev-s11"] = ([DEV.parent / "dev-s11.yml"], 200)  # session 11: persons, matters in own words
NO_ARTICLE = NO_ARTICLE_KINDS & KINDS
NEAR = 0.9  # similarity from which an evaluation text counts as a reworded training example or KB wording
_PUNCT = re.compile(r"[\s\W_]+")


def _norm(text: str) -> str:
    """Text without spaces and punctuation, lower case: wordings that differ only there compare equal."""
    return _PUNCT.sub("", text).lower()


class _Bucket:
    """The pool's texts of one length, with each character's count in every text (a column per character)."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.columns: dict[str, np.ndarray] = {}
        for i, text in enumerate(texts):
            for ch, k in Counter(text).items():
                self.columns.setdefault(ch, np.zeros(len(texts), dtype=np.int16))[i] = k

    def shared(self, counts: Counter) -> np.ndarray:
        """Per text, how many characters (with repeats) it shares with a text of these character counts."""
        total = np.zeros(len(self.texts), dtype=np.int32)
        for ch, k in counts.items():
            column = self.columns.get(ch)
            if column is not None:
                total += np.minimum(column, k)
        return total


def _by_length(pool: set[str]) -> dict[int, _Bucket]:
    """The pool's texts by length: only texts of close lengths can be near each other."""
    index: dict[int, list[str]] = defaultdict(list)
    for text in pool:
        index[len(text)].append(text)
    return {n: _Bucket(sorted(texts)) for n, texts in index.items()}


def _near(text: str, pool: dict[int, _Bucket]) -> bool:
    """Whether normalised `text` of 8+ characters is nearly one of the normalised `pool` (by length).

    Only lengths whose `real_quick_ratio` (2·min/(sum of the lengths)) reaches NEAR are compared, and only texts
    whose `quick_ratio` (2·shared characters/(sum of the lengths), counted for a whole length at once) reaches it
    are matched: the same verdicts as comparing with every text, without building a matcher per pair.
    """
    n = len(text)
    if n < 8:
        return False
    counts = Counter(text)
    for length in range(int(n * NEAR / (2 - NEAR)), int(n * (2 - NEAR) / NEAR) + 2):
        bucket = pool.get(length)
        if bucket is None or 2 * min(n, length) < NEAR * (n + length):
            continue
        for i in np.nonzero(2 * bucket.shared(counts) >= NEAR * (n + length))[0]:
            if SequenceMatcher(None, text, bucket.texts[i]).ratio() >= NEAR:
                return True
    return False


def _eval_set(name: str) -> list[dict]:
    return load_questions(*LEAK_SETS[name][0])


def _kb() -> dict[str, dict]:
    return {
        a["id"]: a
        for f in (ROOT / "data" / "kb").glob("*.yml")
        for a in yaml.safe_load(f.read_text(encoding="utf-8"))["articles"]
    }


def test_heldout_questions_are_not_training_examples():
    train = {_norm(_plain(e)) for exs in _examples().values() for e in exs}
    kb = _kb().values()
    kb_wording = {_norm(w) for a in kb for w in [a.get("question"), a.get("title"), *(a.get("paraphrases") or [])] if w}
    near_train, near_kb = _by_length(train), _by_length(kb_wording)
    seen: set[str] = set()
    for name, (_, minimum) in LEAK_SETS.items():
        held = _eval_set(name)
        assert len(held) >= minimum, name
        texts = [_norm(q["text"]) for q in held] + [_norm(q["after"]) for q in held if q.get("after")]
        assert not [t for t in texts if t in train], f"{name}: texts that are training examples"
        assert not [t for t in texts if _near(t, near_train)], f"{name}: texts that are reworded training examples"
        assert not [t for t in texts if t in kb_wording], f"{name}: texts copied from KB questions or titles"
        assert not [t for t in texts if _near(t, near_kb)], f"{name}: texts that reword KB questions or paraphrases"
        own = {_norm(q["text"]) for q in held}
        assert len(own) == len(held), f"{name}: duplicate texts"
        assert not own & seen, f"{name}: texts shared with another evaluation set"
        seen |= own


def test_eval_sets_are_labelled_against_the_catalogue_and_the_kb():
    matters = set(get_catalogue().matters)
    kb = _kb()
    for name, (_, minimum) in EVAL_SETS.items():
        held = _eval_set(name)
        assert len(held) >= minimum, name
        assert {q["matter"] for q in held if q["matter"]} == matters, name
        for q in held:
            where = f"{name}: {q['text']}"
            assert set(q) <= FIELDS and q["scope"] in SCOPES and q["kind"] in KINDS, where
            assert q.get("aspect") in ASPECTS | {None}, where
            assert all(a in kb for a in q["articles"]), where
            assert bool(q.get("after")) == (q["kind"] == "followup"), where
            if q["kind"] in NO_ARTICLE:
                assert q["articles"] == [], where
            elif q["kind"] == "question":
                assert q["scope"] == "in_scope" and q["articles"], where
                assert all(a.startswith(f"{q['matter']}.") for a in q["articles"]), where
            elif q["kind"] == "platform_tech":
                assert q["scope"] == "platform_tech" and q["articles"], where
                assert all(a.startswith("platform-tech.") for a in q["articles"]), where


def test_rasa_configs_exist_and_name_the_user_dictionary():
    for name in ("config.yml", "config-diet.yml"):
        cfg = yaml.safe_load(Path(ROOT / name).read_text(encoding="utf-8"))
        (jieba,) = [c for c in cfg["pipeline"] if c["name"] == "JiebaTokenizer"]
        assert (ROOT / jieba["dictionary_path"] / "userdict.txt").exists()
        assert any(c["name"] == "FallbackClassifier" for c in cfg["pipeline"])


def test_the_heldout_set_takes_in_the_wave_files(tmp_path, monkeypatch):
    from bot import scoring

    for name, text in (("heldout.yml", "a"), ("heldout-wave2-2.yml", "c"), ("heldout-wave2-1.yml", "b"),
                       ("dev_questions.yml", "x")):
        (tmp_path / name).write_text(f"questions:\n  - {{text: {text}}}\n", encoding="utf-8")
    monkeypatch.setattr(scoring, "HELDOUT", tmp_path / "heldout.yml")
    assert [q["text"] for q in load_questions(*scoring.heldout_files())] == ["a", "b", "c"]


def test_near_finds_a_reworded_text_and_nothing_else():
    pool = _by_length({_norm(t) for t in ["公积金提取需要准备哪些材料呢", "居住证续签要去哪里办理", "营业执照"]})
    assert _near(_norm("公积金提取需要准备哪些材料"), pool)  # one character dropped
    assert _near(_norm("公积金提取需要准备哪些资料呢"), pool)  # one character changed
    assert not _near(_norm("公积金贷款需要准备哪些材料"), pool)  # another matter: 3 of 13 characters
    assert not _near(_norm("营业执照"), pool)  # under 8 characters: never near

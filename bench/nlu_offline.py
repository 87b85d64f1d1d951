"""Offline dev loop of 小申: the held-out (or dev) report in seconds after a KB or bot edit.

    ./bangban bench nlu_offline [--dev] [--file F ...] [--config config.yml] [-v]
    ./bangban bench nlu_heldout --offline [...]            (the same)

Each question text (a follow-up's `after` turn too) is parsed once by the Rasa model of the
current training data (`ops/model.py` trains it only when the NLU data changed), in-process in
the Rasa venv (`bot/nlu_parse.py`, what `/model/parse` returns); parses are cached on disk keyed
by the model's hash and the text. 小申's brain then answers every question offline
(`bot.offline.question_replies`, as the go-live check does) over the KB files (`data/kb`) and
the replies are scored by `bot/scoring.py`: the same report as `./bangban bench nlu_heldout`.
Without Rasa's dialogue the first turn of a conversation is answered by the action its intent's
rule names; the webhook run may differ on a few follow-ups (docs/bot.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot.scoring import DEV, heldout_files, load_questions, report, tally_of
from ops.model import cache_dir, ensure_model, rasa_env

ROOT = Path(__file__).resolve().parent.parent
DEV_FILES = (DEV, *sorted(DEV.parent.glob("dev-*.yml")))


def parse_cache(model: Path) -> Path:
    """The parse cache file of a model (its name carries the training hash)."""
    return cache_dir() / "parses" / f"{model.name.removesuffix('.tar.gz')}.json"


def parses_of(model: Path, texts: Sequence[str], log=print) -> list[dict]:
    """Rasa parse results of `texts` by `model`, from the cache or parsed now (new texts only)."""
    path = parse_cache(model)
    cached: dict[str, dict] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    new = sorted({t for t in texts if t not in cached})
    if new:
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = Path(tmp) / "in.json", Path(tmp) / "out.json"
            src.write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
            proc = subprocess.run([str(ROOT / ".venv-rasa" / "bin" / "python"), "-m", "bot.nlu_parse", str(model),
                                   str(src), str(dst)], cwd=ROOT, env={**os.environ, **rasa_env()},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if proc.returncode:
                raise RuntimeError(f"parsing failed ({proc.returncode}): {proc.stderr[-3000:]}")
            cached.update(zip(new, json.loads(dst.read_text(encoding="utf-8")), strict=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cached, ensure_ascii=False), encoding="utf-8")
        log(f"  parsed {len(new)} new texts in {time.monotonic() - t0:.0f} s ({path.name})")
    return [cached[t] for t in texts]


def offline_brain():
    """小申's brain over the KB files, as the action server builds it over the live KB."""
    from bot.actions.runtime import build_brain
    from kb.loader import load_kb
    from kb.search import BM25Index

    return build_brain(BM25Index(load_kb().articles))


def run(paths: Sequence[Path], config: str = "config.yml", verbose: bool = False, title: str = "") -> list[str]:
    """Report lines (and the misses when `verbose`) of the questions in `paths`, answered offline."""
    from bot.offline import question_replies, texts_of

    questions = load_questions(*paths)
    model = ensure_model(config=config, log=lambda m: print(f"  [model] {m}", flush=True))
    parses = parses_of(model, texts_of(questions))
    t0 = time.perf_counter()
    brain = offline_brain()
    messages = question_replies(brain, questions, parses)
    tally = tally_of(zip(questions, messages, strict=True))
    ms = (time.perf_counter() - t0) * 1000
    head = f"{title or 'offline'}: {len(questions)} questions ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, " \
           f"model {model.name}, brain {ms:.0f} ms)"
    lines = report(tally, head)
    if verbose and tally.misses:
        lines += [f"  misses ({len(tally.misses)}):", *tally.misses]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", action="store_true", help="the dev questions (tests/data/dev_questions.yml, dev-*.yml)")
    ap.add_argument("--file", action="append", help="a labelled question file (repeatable)")
    ap.add_argument("--config", default="config.yml", help="the pipeline (config.yml or config-diet.yml)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = ap.parse_args(argv)
    paths = [Path(f) for f in args.file] if args.file else list(DEV_FILES if args.dev else heldout_files())
    title = "dev" if args.dev and not args.file else "held-out" if not args.file else "questions"
    print("\n".join(run(paths, args.config, args.verbose, f"{title}, offline")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

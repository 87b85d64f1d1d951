"""Held-out benchmark of 小申: what citizens get, for the fast and the DIET pipelines.

    ./bangban bench nlu_heldout [--pipelines fast,diet] [--rasa URL --token T] [--file F ...] [-v]
    ./bangban bench nlu_heldout --offline [--dev] [--file F ...] [-v]     (bench/nlu_offline.py: no servers)

The questions are those of `tests/data/heldout.yml` and `tests/data/heldout-*.yml` unless
`--file` (repeatable) names others. Without `--rasa`, starts a system (database, KB, action
server, Rasa) per pipeline on free ports. Every question is sent through the REST webhook in a fresh conversation
(a follow-up after its `after` turn);
the bot reply's `meta` is scored (see `bot/scoring.py`): article acceptable for matter
questions, matter, scope, no article when none fits, requests for a person handed
off, article accuracy per aspect; also the NLU intent alone (/model/parse) and latencies.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlencode

from bot.scoring import Tally, heldout_files, load_questions, report, score

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = {"fast": "config.yml", "diet": "config-diet.yml"}


def post(url: str, body: dict, timeout: float = 10.0) -> tuple[object, float]:
    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        out = json.loads(resp.read())
    return out, (time.perf_counter() - t0) * 1000


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)] if xs else 0.0


def measure(rasa: str, questions: list[dict], verbose: bool, title: str, token: str = "") -> Tally:
    """Ask every question in a new conversation and print the scores."""
    run = uuid.uuid4().hex[:8]
    tally = Tally()
    t_parse: list[float] = []
    t_hook: list[float] = []
    for i, q in enumerate(questions):
        parsed, ms = post(f"{rasa}/model/parse?{urlencode({'token': token})}", {"text": q["text"]})
        t_parse.append(ms)
        sender = f"heldout-{run}-{i}"
        meta = {"conversation_id": sender, "channel": "pc", "user_kind": "person", "user_id": "bench"}
        if q.get("after"):  # a follow-up: its previous turn first, in the same conversation
            post(f"{rasa}/webhooks/rest/webhook", {"sender": sender, "message": q["after"], "metadata": meta})
        replies, ms = post(f"{rasa}/webhooks/rest/webhook", {"sender": sender, "message": q["text"], "metadata": meta})
        t_hook.append(ms)
        custom = next((r["custom"] for r in replies if "custom" in r), {})
        custom.setdefault("meta", {})["nlu"] = parsed["intent"]["name"]
        score(q, custom, tally)
    lines = report(tally, f"{title}: {len(questions)} questions ({time.strftime('%Y-%m-%d')}, rasa {rasa})")
    lines.append(f"  /model/parse ms: median {statistics.median(t_parse):.1f}  p95 {p95(t_parse):.1f}")
    lines.append(f"  REST webhook ms: median {statistics.median(t_hook):.1f}  p95 {p95(t_hook):.1f}")
    print("\n".join(lines), flush=True)
    if verbose and tally.misses:
        print(f"  misses ({len(tally.misses)}):")
        print("\n".join(tally.misses))
    return tally


def start_pipeline(config: str):
    """Database, KB, action server and Rasa with the given pipeline, on free ports."""
    import tempfile

    from ops.system import System, SystemConfig

    var = Path(tempfile.mkdtemp(prefix="bangban-heldout-"))
    cfg = SystemConfig.for_tests(var, rasa_config=config, extra_env={"LOG_LEVEL": "WARNING"})
    return System(cfg, log=lambda m: print(f"  [system] {m}", flush=True)).start()


def main() -> int:
    if "--offline" in sys.argv[1:]:  # the offline dev loop: parses cached per model, the brain in-process
        from bench.nlu_offline import main as offline

        return offline([a for a in sys.argv[1:] if a != "--offline"])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rasa", help="measure a running Rasa instead of starting systems")
    ap.add_argument("--token", default="", help="Rasa's --auth-token for --rasa (RASA_TOKEN)")
    ap.add_argument("--pipelines", default="fast,diet", help="comma-separated: fast, diet")
    ap.add_argument("--file", action="append", help="a labelled question file (repeatable); default: the held-out set")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = ap.parse_args()
    questions = load_questions(*(args.file or heldout_files()))
    if args.rasa:
        measure(args.rasa, questions, args.verbose, "running bot", args.token)
        return 0
    for name in args.pipelines.split(","):
        system = start_pipeline(PIPELINES[name])
        try:
            measure(system.rasa_url, questions, args.verbose, f"{name} pipeline ({PIPELINES[name]})",
                    system.secret("RASA_TOKEN"))
        finally:
            system.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

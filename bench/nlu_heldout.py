"""Held-out NLU benchmark of 小申 against a running Rasa server.

    python bench/nlu_heldout.py [--rasa http://127.0.0.1:5005] [--token RASA_TOKEN] [--file tests/data/heldout.yml] [-v]

Sends every question of the held-out file to `/model/parse` (what the NLU alone
understands) and through the REST webhook in a fresh conversation (what the
user actually gets: `meta` of the bot reply, after the action's alias and KB
matching). Prints matter, scope, intent and aspect accuracy and latencies.
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

import yaml

ROOT = Path(__file__).resolve().parent.parent
ASK = {
    "ask_matter",
    "ask_conditions",
    "ask_materials",
    "ask_process",
    "ask_fees",
    "ask_time_limit",
    "ask_progress",
    "ask_offline",
}
CHAT = {"chitchat", "greet", "thanks", "goodbye"}


def post(url: str, body: dict, timeout: float = 10.0) -> tuple[object, float]:
    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        out = json.loads(resp.read())
    return out, (time.perf_counter() - t0) * 1000


def intent_ok(intent: str, q: dict) -> bool:
    scope = q["scope"]
    if scope == "in_scope":
        return intent == f"ask_{q['aspect']}" if q.get("aspect") else intent in ASK
    if scope == "chitchat":
        return intent in CHAT
    return intent == scope


def pct(n: int, d: int) -> str:
    return f"{n}/{d} = {100.0 * n / d:.1f}%" if d else "n/a"


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)] if xs else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rasa", default="http://127.0.0.1:5005")
    ap.add_argument("--token", default=None, help="Rasa's --auth-token (default: RASA_TOKEN, var/rasa_token)")
    ap.add_argument("--file", default=str(ROOT / "tests" / "data" / "heldout.yml"))
    ap.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = ap.parse_args()
    questions = yaml.safe_load(Path(args.file).read_text(encoding="utf-8"))["questions"]
    token = args.token
    if token is None:
        sys.path.insert(0, str(ROOT))  # also when run as a script
        from core.settings import load_settings

        token = load_settings().rasa_token
    run = uuid.uuid4().hex[:8]
    stats = {k: 0 for k in ("intent", "nlu_matter", "matter", "scope", "aspect")}
    totals = {k: 0 for k in stats}
    t_parse: list[float] = []
    t_hook: list[float] = []
    misses: list[str] = []
    for i, q in enumerate(questions):
        parsed, ms = post(f"{args.rasa}/model/parse?{urlencode({'token': token})}", {"text": q["text"]})
        t_parse.append(ms)
        intent = parsed["intent"]["name"]
        ranking = [r["name"] for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
        eff_intent = ranking[0] if intent == "nlu_fallback" and ranking else intent
        nlu_matters = [e["value"] for e in parsed.get("entities", []) if e["entity"] == "matter"]
        totals["intent"] += 1
        stats["intent"] += intent_ok(eff_intent, q)
        sender = f"heldout-{run}-{i}"
        meta = {"conversation_id": sender, "channel": "pc", "user_kind": "person", "user_id": "bench"}
        replies, ms = post(
            f"{args.rasa}/webhooks/rest/webhook", {"sender": sender, "message": q["text"], "metadata": meta}
        )
        t_hook.append(ms)
        custom = next((r["custom"] for r in replies if "custom" in r), {})
        got = custom.get("meta", {})
        want = q.get("matter")
        if want:
            totals["nlu_matter"] += 1
            stats["nlu_matter"] += nlu_matters[:1] == [want]
            totals["matter"] += 1
            ok_matter = got.get("matter") == want
            stats["matter"] += ok_matter
        else:
            ok_matter = True
        ok_scope = got.get("scope") == q["scope"]
        totals["scope"] += 1
        stats["scope"] += ok_scope
        if q.get("aspect") and got.get("kb_article"):
            totals["aspect"] += 1
            stats["aspect"] += got["kb_article"].split(".")[1] == q["aspect"]
        if not (ok_matter and ok_scope and intent_ok(eff_intent, q)):
            misses.append(
                f"  {q['text']}  want {want}/{q['scope']}/{q.get('aspect')}  "
                f"nlu {intent}({parsed['intent']['confidence']:.2f}) {nlu_matters}  "
                f"got {got.get('matter')}/{got.get('scope')}/{got.get('kb_article')}"
                f"{' handoff' if 'handoff' in custom else ''}"
            )
    print(f"held-out questions: {len(questions)}  (rasa {args.rasa})")
    print(f"matter identified (bot reply meta.matter, webhook): {pct(stats['matter'], totals['matter'])}")
    print(f"NLU entity alone (/model/parse):  {pct(stats['nlu_matter'], totals['nlu_matter'])}")
    print(f"scope (webhook meta.scope):                         {pct(stats['scope'], totals['scope'])}")
    print(f"intent (/model/parse):                              {pct(stats['intent'], totals['intent'])}")
    print(f"aspect of the answering article:                    {pct(stats['aspect'], totals['aspect'])}")
    print(f"/model/parse ms: median {statistics.median(t_parse):.1f}  p95 {p95(t_parse):.1f}")
    print(f"REST webhook ms: median {statistics.median(t_hook):.1f}  p95 {p95(t_hook):.1f}")
    if args.verbose and misses:
        print(f"misses ({len(misses)}):")
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())

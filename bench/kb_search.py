"""Benchmark: knowledge-base retrieval and the bot's brain on the repository's real KB, in process.

Prints the KB size, the index build time, and per-query times of BM25 retrieval (`BM25Index.search`)
and of a whole first-turn reading by the brain (matter resolution + ranking, no Rasa).

    .venv/bin/python -m bench.kb_search [--rounds 50]
"""

from __future__ import annotations

import argparse
import itertools
import time

from bench.common import summary
from bot.actions.runtime import build_brain
from bot.actions.turns import Turn
from kb.loader import load_kb
from kb.search import BM25Index

QUERIES = ["提取公积金要带什么材料", "孩子上小学怎么报名", "公司不想开了怎么注销", "验证码收不到",
           "居住证积分多久能审核下来", "二手房过户要交哪些税", "护照过期了怎么换", "养狗要办什么证",
           "退休了公积金怎么取", "开饭店要什么许可证"]


def timed(fn, queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    kb = load_kb()
    t0 = time.perf_counter()
    index = BM25Index(kb.articles)
    built = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    brain = build_brain(index)
    brain_built = (time.perf_counter() - t0) * 1000
    print(f"KB: {len(index)} articles; index built in {built:.0f} ms, brain (matter model) in {brain_built:.0f} ms")
    queries = list(itertools.islice(itertools.cycle(QUERIES), args.rounds * len(QUERIES)))
    print(summary("BM25 search (limit 5)", timed(lambda q: index.search(q, limit=5), queries)))
    parse = {"intent": {"name": "ask_matter", "confidence": 0.9}, "entities": [], "intent_ranking": []}
    first_turn = lambda q: brain.respond("action_answer", Turn.from_parse({**parse, "text": q}))  # noqa: E731
    print(summary("brain, first turn", timed(first_turn, queries)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

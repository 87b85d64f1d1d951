"""Parse texts with a trained Rasa model in-process (runs in the Rasa venv, Python 3.10).

    .venv-rasa/bin/python -m bot.nlu_parse MODEL.tar.gz IN.json OUT.json

IN.json is a list of texts; OUT.json receives the list of parse results, each what
Rasa's `/model/parse` returns for the text (intent, intent_ranking, entities, text).
Used by `bench/nlu_offline.py`, which caches the results by model and text.
"""

# ruff: noqa: UP006, UP035 - kept importable by Rasa's Python 3.10 without newer typing forms
from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Dict, List


async def parse_all(model: str, texts: List[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [await agent.parse_message(t) for t in texts]


def main(argv: List[str]) -> int:
    model, src, dst = argv
    with open(src, encoding="utf-8") as f:
        texts = json.load(f)
    out = asyncio.run(parse_all(model, texts))
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

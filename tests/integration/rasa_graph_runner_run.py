"""Run under Rasa's Python by test_rasa_tracker_store.py: bot/rasa_graph_runner.py against dask's runner.

Loads the trained model given as argv[1] and parses the texts given on stdin (one a line), each followed
by the policies' prediction of the next action for a new conversation, first with Rasa's stock dask runner,
then with the installed one. Prints JSON: how many texts, how many gave the same parse and prediction, and
whether every event type resolves to the class Rasa's stock lookup gives.
"""

# ruff: noqa: UP006, UP035 - Rasa 3.6 runs on Python 3.10
from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, List

import rasa.shared.utils.common
from rasa.core.agent import Agent
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import Event, UserUttered

STOCK_RUN, STOCK_RESOLVE = DaskGraphRunner.run, Event.resolve_by_type


async def outcomes(agent: Agent, texts: List[str]) -> List[str]:
    out = []
    for i, text in enumerate(texts):
        parse = await agent.parse_message(text)
        tracker = await agent.processor.fetch_tracker_with_initial_session(f"graph-{i}")
        tracker.update(UserUttered(text, parse["intent"], parse["entities"], parse_data=parse))
        pred = agent.processor._predict_next_with_tracker(tracker)
        out.append(json.dumps([parse, pred.probabilities, pred.policy_name, [str(e) for e in pred.events],
                               [str(e) for e in pred.optional_events], pred.action_metadata],
                              sort_keys=True, default=str))
    return out


async def main() -> None:
    texts = [line.strip() for line in sys.stdin if line.strip()]
    agent = Agent.load(sys.argv[1])
    stock = await outcomes(agent, texts)
    import bot.rasa_tracker_store  # noqa: F401 - installs bot.rasa_graph_runner, as in the Rasa server

    assert DaskGraphRunner.run is not STOCK_RUN
    installed = await outcomes(agent, texts)
    names = {c.type_name for c in rasa.shared.utils.common.all_subclasses(Event)}
    resolved: Any = all(Event.resolve_by_type(n) is STOCK_RESOLVE(n) for n in names)
    print(json.dumps({"texts": len(texts), "same": sum(a == b for a, b in zip(stock, installed, strict=True)),
                      "event_types": len(names), "resolved_alike": resolved}))


asyncio.run(main())

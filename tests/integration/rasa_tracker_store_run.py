"""Run under Rasa's Python by test_rasa_tracker_store.py: the same conversations through Rasa's stock
`MongoTrackerStore` and through `bot.rasa_tracker_store.AppendingMongoTrackerStore`, each in its own database
of the server at argv[1]; prints the stored documents and the database commands of each as JSON.

Each store is wrapped in Rasa's `FailSafeTrackerStore`, as Rasa's agent wraps it, and driven the way Rasa's
message processor drives it: `get_or_create_tracker` at the start of a turn, events, `save` at its end.
"""

# ruff: noqa: UP006, UP035 - Rasa 3.6 runs on Python 3.10
from __future__ import annotations

import asyncio
import collections
import json
import sys
from typing import Any, Dict, List

from pymongo import MongoClient, monitoring
from rasa.core.tracker_store import FailSafeTrackerStore, MongoTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_tracker_store import AppendingMongoTrackerStore

COMMANDS: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


class Count(monitoring.CommandListener):
    def started(self, event: monitoring.CommandStartedEvent) -> None:
        COMMANDS[event.database_name][event.command_name] += 1

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


def turn_events(t0: float, text: str, new_session: bool) -> List[Event]:
    """The events of one turn, with fixed timestamps so both stores store the same documents."""
    events: List[Event] = []
    if new_session:
        events += [ActionExecuted("action_session_start", timestamp=t0), SessionStarted(timestamp=t0 + 0.1),
                   ActionExecuted("action_listen", timestamp=t0 + 0.2)]
    events += [UserUttered(text, {"name": "ask_matter", "confidence": 0.9}, timestamp=t0 + 1),
               SlotSet("matter", "housing-fund-withdrawal", timestamp=t0 + 2),
               ActionExecuted("action_xiaoshen", timestamp=t0 + 3), BotUttered(f"答：{text}", timestamp=t0 + 4),
               ActionExecuted("action_listen", timestamp=t0 + 5)]
    return events


async def converse(store: FailSafeTrackerStore, domain: Domain) -> None:
    """Turns of two conversations (a new session on the third), a replaced tracker, a tracker query."""
    for sender in ("c-1", "c-2"):
        for i, text in enumerate(["公积金怎么提取", "要什么材料", "租房能提取吗", "多久到账"]):
            tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
            for event in turn_events(1_700_000_000 + 100 * i, text, new_session=i in (0, 2)):
                tracker.update(event, domain)
            await store.save(tracker)
    await store.get_or_create_tracker("c-3", append_action_listen=True)  # a tracker query creating a tracker
    replaced = DialogueStateTracker.from_dict(
        "c-2", [e.as_dict() for e in turn_events(1_800_000_000, "重来", True)], domain.slots)
    await store.save(replaced)  # the tracker replaced over the HTTP API (not read by the store)
    tracker = await store.get_or_create_tracker("c-2", append_action_listen=False)
    for event in turn_events(1_800_000_100, "接着问", False):
        tracker.update(event, domain)
    await store.save(tracker)


async def main(url: str) -> None:
    monitoring.register(Count())
    domain = Domain.load("domain.yml")
    out: Dict[str, Any] = {}
    for name, cls in (("stock", MongoTrackerStore), ("appending", AppendingMongoTrackerStore)):
        store = FailSafeTrackerStore(cls(domain, host=url, db=f"trackers_{name}"))
        COMMANDS[f"trackers_{name}"].clear()  # the index built by the constructor
        await converse(store, domain)
        commands = dict(COMMANDS[f"trackers_{name}"])
        docs = list(MongoClient(url)[f"trackers_{name}"]["conversations"].find({}, {"_id": 0}).sort("sender_id"))
        out[name] = {"documents": docs, "commands": commands}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

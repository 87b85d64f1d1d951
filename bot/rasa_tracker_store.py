"""Rasa's MongoDB tracker store, writing a turn with one command and keeping the database off the event loop.

Loaded by Rasa (Python 3.10) from endpoints.yml (`tracker_store: type: bot.rasa_tracker_store.
AppendingMongoTrackerStore`); the documents are exactly those of Rasa's `MongoTrackerStore`
(`sender_id`, the tracker's state, `events` appended with `$push`), so the bridge's erasure and
retention and Rasa's own tools read them as before. What the stock store costs per new conversation:
a `find_one` (retrieve), an upsert of an empty tracker (`create_tracker`) preceded by a `find_one`
of the whole document, and at the end of the turn another `find_one` of the whole document — only
to count the events already stored — and the update; every call is synchronous PyMongo on Rasa's
event loop, so each database round trip stops every other turn of the server, and the state written
is computed by serialising every event of the tracker and throwing them away. Here:

- `retrieve` remembers on the tracker how many events of the session it read, so `save` knows
  which events are new without reading the document again. Turns of one conversation are
  serialised by Rasa's lock store (in memory, or Redis across servers), so nothing can append
  between this turn's read and its write. A tracker that was not read by this store (built from a
  request, or a copy) is saved the stock way, reading the count first.
- a new conversation's tracker is written once, at the end of its first turn: the empty tracker
  that Rasa's `create_tracker` saves right after `retrieve` found none is not written (a turn that
  fails then leaves no document where the stock store leaves one without events; the next turn
  treats both the same way, as no tracker);
- every PyMongo call runs in a worker thread, so other turns use the CPU while one waits;
- the state is computed without serialising the events.

Per new conversation: one `find_one` and one upsert instead of three and two.
"""

# ruff: noqa: UP006, UP019, UP035, UP045 - Rasa 3.6 runs on Python 3.10 and inspects these annotations; keep typing forms
from __future__ import annotations

import asyncio
import functools
import itertools
from typing import Any, Callable, Dict, List, Optional, Text

from rasa.core.tracker_store import MongoTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

import bot.rasa_action_calls  # noqa: F401 - installs itself in Rasa; this module is the one endpoints.yml names
import bot.rasa_graph_runner  # noqa: F401 - the same

# attribute set on a tracker this store read or wrote: (id of the tracker, events of its session stored)
_STORED = "_bangban_stored_events"


def session_length(event_types: List[Text]) -> int:
    """Number of events since and including the last `session_started` (all of them if there is none)."""
    for i in range(len(event_types) - 1, -1, -1):
        if event_types[i] == SessionStarted.type_name:
            return len(event_types) - i
    return len(event_types)


def _mark(tracker: DialogueStateTracker, stored: int) -> None:
    setattr(tracker, _STORED, (id(tracker), stored))


def _marked(tracker: DialogueStateTracker) -> Optional[int]:
    mark = getattr(tracker, _STORED, None)
    return mark[1] if mark is not None and mark[0] == id(tracker) else None


class AppendingMongoTrackerStore(MongoTrackerStore):
    """`MongoTrackerStore` that appends a turn's events with one update and never blocks the event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._absent: set = set()  # conversations just found without a stored tracker

    async def _db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[List[Dict[Text, Any]]]:
        stored = await self._db(self.conversations.find_one, {"sender_id": sender_id})
        if not stored and sender_id.isdigit():  # as the stock store: conversations once stored with an int id
            from pymongo import ReturnDocument

            stored = await self._db(self.conversations.find_one_and_update, {"sender_id": int(sender_id)},
                                    {"$set": {"sender_id": str(sender_id)}},
                                    return_document=ReturnDocument.AFTER)
        if not stored:
            return None
        events = self._events_from_serialized_tracker(stored)
        return events if fetch_events_from_all_sessions else self._events_since_last_session_start(events)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker of the latest session, marked with the number of its events already stored."""
        events = await self._retrieve(sender_id, fetch_events_from_all_sessions=False)
        if not events:
            if len(self._absent) > 10_000:  # retrieves never followed by a save (tracker queries)
                self._absent.clear()
            self._absent.add(sender_id)
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if len(tracker.events) == len(events):  # not cut by max_event_history
            _mark(tracker, len(events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the events not stored yet and set the tracker's state: one update command."""
        await self.stream_events(tracker)
        stored, absent = _marked(tracker), tracker.sender_id in self._absent
        self._absent.discard(tracker.sender_id)
        if stored is None and absent and not tracker.events:  # `create_tracker` right after `retrieve` found none
            _mark(tracker, 0)
            return
        marked = stored is not None
        if stored is None:
            document = await self._db(self.conversations.find_one, {"sender_id": tracker.sender_id},
                                      {"events.event": 1})
            stored = len(self._events_since_last_session_start(self._events_from_serialized_tracker(document or {})))
        new = [e.as_dict() for e in itertools.islice(tracker.events, stored, len(tracker.events))]
        state = tracker.current_state(EventVerbosity.NONE)
        state.pop("events", None)
        await self._db(self.conversations.update_one, {"sender_id": tracker.sender_id},
                       {"$set": state, "$push": {"events": {"$each": new}}}, upsert=True)
        if marked:  # tracker.events began at the stored session's start: it is the stored session now
            _mark(tracker, session_length([e.type_name for e in tracker.events]))

"""The custom actions of 小申: each builds a `Turn` from the tracker and sends the brain's reply."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import texts
from bot.actions.runtime import runtime
from bot.actions.turns import Turn

log = logging.getLogger(__name__)

SLOTS = (
    "matter",
    "last_question",
    "last_answer",
    "last_article",
    "last_scope",
    "low_conf_count",
    "awaiting_feedback",
)


def turn_from_tracker(tracker: Tracker) -> Turn:
    """The current user message, NLU result, client metadata and conversation slots."""
    latest = tracker.latest_message or {}
    metadata = latest.get("metadata") or {}
    if not metadata:
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                metadata = event.get("metadata") or {}
                break
    turn = Turn.from_parse(latest)
    turn.hint_matter = metadata.get("matter") if isinstance(metadata, dict) else None
    turn.slots = {name: tracker.get_slot(name) for name in SLOTS}
    return turn


class _XiaoshenAction(Action, ABC):
    """Base: run the brain for this action's name; never stay silent."""

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        turn = turn_from_tracker(tracker)
        try:
            brain = await runtime().brain()
            reply = brain.respond(self.name(), turn)
        except Exception:  # the user must always get an answer
            log.exception("action %s failed", self.name())
            dispatcher.utter_message(
                json_message={
                    "text": "抱歉，小申这边出了点问题，正在为您转人工帮办。",
                    "meta": {
                        "intent": turn.intent,
                        "confidence": turn.confidence,
                        "matter": turn.slots.get("matter"),
                        "kb_article": None,
                        "scope": "unknown",
                    },
                    "buttons": texts.HUMAN_BUTTON,
                }
            )
            return []
        dispatcher.utter_message(json_message=reply.message)
        return [SlotSet(k, v) for k, v in reply.slots.items() if k in SLOTS]


ACTION_NAMES = (
    "action_answer",
    "action_platform_tech",
    "action_complaint_channel",
    "action_smalltalk",
    "action_feedback_resolved",
    "action_feedback_unresolved",
    "action_handoff",
    "action_fallback",
    "action_default_fallback",  # overrides Rasa's, so even core fallbacks speak the wire format
)


def _action_class(action_name: str) -> type[_XiaoshenAction]:
    """A concrete action class named for `action_name` (action_answer -> ActionAnswer)."""
    class_name = "".join(part.title() for part in action_name.split("_"))
    return type(class_name, (_XiaoshenAction,), {"name": lambda self: action_name, "__module__": __name__})


# rasa_sdk registers every concrete subclass of Action it finds, so creating them registers them;
# they are module attributes too, so that the action server's worker processes can unpickle them.
ACTION_CLASSES: dict[str, type[_XiaoshenAction]] = {n: _action_class(n) for n in ACTION_NAMES}
globals().update({cls.__name__: cls for cls in ACTION_CLASSES.values()})

"""Custom actions of 小申 (run with `python -m rasa_sdk --actions bot.actions`)."""

import logging

from bot.actions.actions import ACTION_CLASSES  # noqa: F401 - registers the actions with rasa_sdk
from bot.actions.runtime import FOLLOW_INTERVAL_S
from bot.actions.runtime import runtime as _runtime
from core.tasks import Periodic

_following: list[Periodic] = []


def warm_up() -> None:
    """Load jieba and build the KB index in the background, then follow the KB's changes (a new matter is
    indexed before the next question, not by it); called by the serving process in its event loop."""
    rt = _runtime()
    rt.start_warmup()
    follow = Periodic("kb-follow", rt.brain, FOLLOW_INTERVAL_S, logging.getLogger(__name__), "kb follow round failed")
    follow.start()
    _following.append(follow)

"""Custom actions of 小申 (run with `python -m rasa_sdk --actions bot.actions`)."""

from bot.actions.actions import ACTION_CLASSES  # noqa: F401 - registers the actions with rasa_sdk
from bot.actions.runtime import runtime as _runtime


def warm_up() -> None:
    """Load jieba and build the KB index in the background; called by the serving process at start."""
    _runtime().start_warmup()

"""Custom actions of 小申 (run with `python -m rasa_sdk --actions bot.actions`)."""

from bot.actions.actions import ACTION_CLASSES  # noqa: F401 - registers the actions with rasa_sdk

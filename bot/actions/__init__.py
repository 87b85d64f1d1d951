"""Custom actions of 小申 (run with `python -m rasa_sdk --actions bot.actions`)."""

import asyncio

from bot.actions.actions import ACTION_CLASSES  # noqa: F401 - registers the actions with rasa_sdk
from bot.actions.runtime import runtime as _runtime

_following: set[asyncio.Task] = set()


def warm_up() -> None:
    """Load jieba and build the KB index in the background, then follow the KB's changes; called by the
    serving process at start (in its event loop)."""
    rt = _runtime()
    rt.start_warmup()
    task = asyncio.get_running_loop().create_task(rt.keep_fresh())
    _following.add(task)  # a task nobody holds may be collected

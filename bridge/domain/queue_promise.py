"""The one promise a queued citizen gets: a place in the queue with a wait, or a message left for later.

The promise is chosen once, at handoff, from the department's help hours: within them the citizen sees
the queue position and the wait estimate; outside them one message says when the department will
answer and how the citizen will hear of it, and no position or estimate follows in that conversation
(an agent who happens to be online may still take it earlier).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.clock import iso
from core.workcal import SHANGHAI, HelpStatus


def serving_text(department_name: str) -> str:
    """The handoff notice within help hours (position and wait follow in `state` events)."""
    return f"正在为您转接{department_name}的帮办人员，请稍候。"


def left_message_text(department_name: str, next_open: dt.datetime, notify: bool) -> str:
    """The handoff notice outside help hours; `notify`: the citizen's channel can deliver a notification."""
    when = next_open.astimezone(SHANGHAI)
    how = "回复后我们会通过消息通知您。" if notify else "回复会显示在本页面，请届时回来查看。"
    return (f"现在是非人工服务时间，您的问题已留言给{department_name}，"
            f"帮办人员将于{when:%m月%d日 %H:%M}后尽快回复您，{how}")


def promise_fields(hours: HelpStatus) -> dict[str, Any]:
    """The conversation fields that record the promise made when it enters a department's queue."""
    return {"left_message": not hours.open, "reply_after": None if hours.open else hours.next_open}


def left_message_info(conv: dict) -> dict[str, Any]:
    """What a `state` event of a left-message conversation adds instead of position and wait."""
    return {"left_message": True, "reply_after": iso(conv.get("reply_after"))}

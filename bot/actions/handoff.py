"""Handing a conversation to a person: department, summary, and help hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bot.actions import texts
from bot.actions.turns import Reply, Turn, meta
from core import clock
from kb.loader import PLATFORM_DEPARTMENT

FALLBACK_DEPARTMENT = "triage"
HelpStatusFn = Callable[[str], Any]  # department -> object with .open and .next_open


class Handoff:
    """Builds handoff replies from the matter -> department map and the help hours."""

    def __init__(
        self,
        departments: dict[str, str],
        help_status: HelpStatusFn | None = None,
        hours_text: Callable[[str], str] | None = None,
    ):
        self.departments = departments
        self.help_status = help_status
        self.hours_text = hours_text or (lambda dep: "工作日 9:00-17:00")

    def reply(
        self,
        turn: Turn,
        reason: str,
        *,
        scope: str,
        matter: str | None,
        question: str | None,
        now: dt.datetime | None = None,
    ) -> Reply:
        """Hand the conversation to a human, with a summary; out of hours, say when people are back."""
        slots = turn.slots
        if scope == "platform_tech":
            department = PLATFORM_DEPARTMENT
        else:
            department = self.departments.get(matter or "", FALLBACK_DEPARTMENT)
        summary = {
            "matter": matter,
            "scope": scope,
            "question": question,
            "bot_answer": slots.get("last_answer") if reason != "platform_tech" else None,
            "kb_article": slots.get("last_article") if reason != "platform_tech" else None,
        }
        intro = texts.HANDOFF_INTRO.get(reason, "")
        status = self._status(department)
        if status is None or status.open:
            body = texts.HANDOFF_OPEN
        else:
            body = texts.HANDOFF_CLOSED.format(hours=self.hours_text(department), when=when(status.next_open, now))
        msg = {
            "text": intro + body,
            "meta": meta(turn, scope, matter, summary["kb_article"]),
            "handoff": {"reason": reason, "department": department, "summary": summary},
        }
        if status is not None and not status.open:
            msg["handoff"]["after_hours"] = True
            msg["handoff"]["next_open"] = status.next_open.isoformat()
        return Reply(msg, {"awaiting_feedback": False, "low_conf_count": 0, "last_scope": scope})

    def _status(self, department: str):
        if self.help_status is None:
            return None
        try:
            return self.help_status(department)
        except Exception:  # noqa: BLE001 - hours unknown: treat as open
            return None


def when(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """Friendly Chinese time: 今天/明天 HH:MM, or M月D日（周X）HH:MM."""
    now = now or clock.now()
    days = (moment.date() - now.astimezone(moment.tzinfo).date()).days
    hm = f"{moment.hour}:{moment.minute:02d}"
    if days == 0:
        return f"今天{hm}"
    if days == 1:
        return f"明天{hm}"
    week = "一二三四五六日"[moment.weekday()]
    return f"{moment.month}月{moment.day}日（周{week}）{hm}"

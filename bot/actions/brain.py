"""What 小申 says: pure decision logic over the KB index, the matter matcher and help hours.

The Rasa actions turn tracker state into a `Turn`, call `Brain.respond`, and send
the returned `Reply.message` as the custom JSON of the REST channel (wire format
of the bridge: text, buttons, meta, optional handoff and outcome).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.actions import texts
from core import clock
from kb.loader import PLATFORM_DEPARTMENT, Article
from kb.matching import MatterMatcher
from kb.search import BM25Index, Hit
from kb.tokenize import tokenize

LOW_CONFIDENCE = 0.3
LOW_CONF_HANDOFF = 2
MIN_GLOBAL_SCORE = 4.0  # BM25 score needed to trust a match without any matter signal
MIN_MATTER_SHARE = 1.2  # top matter must beat the runner-up by this factor (global guess)
FALLBACK_DEPARTMENT = "triage"
MAX_STEPS = 6

ASPECT_INTENTS = {
    "ask_conditions": "conditions",
    "ask_materials": "materials",
    "ask_process": "process",
    "ask_fees": "fees",
    "ask_time_limit": "time_limit",
    "ask_progress": "progress",
    "ask_offline": "offline",
}
ASK_INTENTS = frozenset({"ask_matter", *ASPECT_INTENTS})
COMPLAINT_WORDS = {
    "投诉": "hotline",
    "举报": "hotline",
    "曝光": "hotline",
    "12345": "hotline",
    "信访": "petition",
    "上访": "petition",
    "复议": "review",
    "起诉": "court",
    "打官司": "court",
    "告他们": "court",
    "法院": "court",
    "诉讼": "court",
    "仲裁": "arbitration",
    "劳动争议": "arbitration",
}
_STRONG_COMPLAINT = re.compile("投诉|举报|信访|上访|行政复议|起诉|打官司|仲裁")
_COMPLAINT_CUES = re.compile(
    "投诉|举报|信访|上访|复议|起诉|诉讼|打官司|官司|仲裁|法院|不服|维权|反映|曝光|刁难|态度|告"
)
_HUMAN_CUES = re.compile("人工|真人|客服|工作人员|坐席|人来|找人|人呢|懂的人|跟人|专人|接线")
_PLATFORM_CUES = re.compile(
    "登录|登陆|登不|登入|验证码|实名|刷脸|人脸|上传|传不上|传不了|闪退|白屏|报错|打不开|页面|网页|卡住|卡死|"
    "密码|账号|帐号|一证通|附件|提交不了|系统繁忙|扫码|小程序|app|网站|转圈|404|500"
)
_PLATFORM_STRONG = re.compile(
    "登录|登陆|登不|登入|验证码|实名|刷脸|人脸|闪退|白屏|报错|打不开|密码|账号|帐号|一证通|系统繁忙|转圈|传不上|传不了|上传失败"
)
FEEDBACK_INTENTS = frozenset({"feedback_resolved", "feedback_unresolved", "affirm", "deny"})

HelpStatusFn = Callable[[str], Any]  # department -> object with .open and .next_open


@dataclass
class Turn:
    """What the bot knows about the current user message."""

    intent: str
    confidence: float = 1.0
    text: str = ""
    entities: list[dict] = field(default_factory=list)
    ranking: list[tuple[str, float]] = field(default_factory=list)
    hint_matter: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    """The custom JSON message to send and the slots to set."""

    message: dict[str, Any]
    slots: dict[str, Any] = field(default_factory=dict)


class Brain:
    """Decides the reply of one turn."""

    def __init__(
        self,
        index: BM25Index,
        matcher: MatterMatcher,
        departments: dict[str, str],
        help_status: HelpStatusFn | None = None,
        hours_text: Callable[[str], str] | None = None,
    ):
        self.index = index
        self.matcher = matcher
        self.departments = departments  # matter id -> department id
        self.help_status = help_status
        self.hours_text = hours_text or (lambda dep: "工作日 9:00-17:00")

    # ---------------------------------------------------------------- dispatch
    def respond(self, action: str, turn: Turn) -> Reply:
        """Reply for a Rasa action name (see `bot.actions.actions`)."""
        action = self.reroute(action, turn)
        handler = {
            "action_answer": self.answer,
            "action_platform_tech": self.platform_tech,
            "action_complaint_channel": self.complaint,
            "action_smalltalk": self.smalltalk,
            "action_feedback_resolved": self.resolved,
            "action_feedback_unresolved": self.unresolved,
            "action_handoff": self.request_human,
            "action_fallback": self.fallback,
            "action_default_fallback": self.fallback,
        }.get(action, self.fallback)
        return handler(turn)

    def reroute(self, action: str, turn: Turn) -> str:
        """Second-guess a doubtful NLU prediction with cues from the text itself.

        Button payloads ("/intent") are trusted. A complaint without any complaint
        word, a request for a human without any word for one, feedback when no
        answer awaits feedback, or small talk naming a matter, is answered from
        the KB instead (as a low-confidence turn).
        """
        text = turn.text or ""
        if not text or text.startswith("/"):
            return action
        named = bool(self.matcher.match(text).candidates) or bool(self.entity_matters(turn))
        content = named or bool(_PLATFORM_CUES.search(text.lower()))
        doubtful = (
            (action == "action_complaint_channel" and not _COMPLAINT_CUES.search(text))
            or (action == "action_handoff" and not _HUMAN_CUES.search(text))
            or (turn.intent in FEEDBACK_INTENTS and not turn.slots.get("awaiting_feedback") and content)
            or (action == "action_smalltalk" and named and turn.confidence < 0.9)
        )
        if not doubtful:
            return action
        runner_up = next((n for n, _ in turn.ranking if n != turn.intent and n != "nlu_fallback"), None)
        if runner_up in ASK_INTENTS or runner_up == "platform_tech":
            turn.ranking = [(runner_up, 0.0), *turn.ranking]
        return "action_fallback"

    # ----------------------------------------------------------------- helpers
    def _meta(self, turn: Turn, scope: str, matter: str | None = None, article: str | None = None) -> dict:
        return {
            "intent": turn.intent,
            "confidence": round(float(turn.confidence), 4),
            "matter": matter,
            "kb_article": article,
            "scope": scope,
        }

    def _valid_matter(self, value: Any) -> str | None:
        if not isinstance(value, str) or not value:
            return None
        if value in self.departments:
            return value
        return self.matcher.match(value).best

    def entity_matters(self, turn: Turn) -> list[str]:
        """Matter ids named by the NLU `matter` entities."""
        out = []
        for ent in turn.entities:
            if ent.get("entity") == "matter":
                m = self._valid_matter(ent.get("value"))
                if m and m not in out:
                    out.append(m)
        return out

    def resolve_matter(self, turn: Turn, aspect: str | None = None) -> tuple[str | None, str]:
        """The matter of the turn and where it came from (entity, alias, search, hint, context, none)."""
        text = turn.text or ""
        found = self.matcher.match(text)
        cands: dict[str, float] = dict(found.candidates)
        for m in self.entity_matters(turn):
            cands[m] = cands.get(m, 0.0) + 2.0
        if cands:
            ranked = sorted(cands.items(), key=lambda kv: -kv[1])
            tied = [m for m, s in ranked if s >= ranked[0][1] - 1e-9]
            if len(tied) == 1:
                return tied[0], "alias"
            hits = self.index.search(text, matters=tied, aspect=aspect, limit=1)
            return (hits[0].article.matter if hits else tied[0]), "alias"
        hint = self._valid_matter(turn.hint_matter)
        context = self._valid_matter(turn.slots.get("matter"))
        content = [t for t in tokenize(text) if len(t) > 1]
        if hint or context:  # a follow-up: only a clear, longer question changes the matter
            guess = self.guess_matter(text, strong=True) if len(content) >= 3 else None
        else:
            guess = self.guess_matter(text) if len(content) >= 2 else None
        if guess:
            return guess, "search"
        if hint:
            return hint, "hint"
        if context:
            return context, "context"
        return None, "none"

    def guess_matter(self, text: str, strong: bool = False) -> str | None:
        """A matter from retrieval alone, when it is clear enough (`strong`: twice the usual score)."""
        ranked = self.index.matter_scores(text)
        if not ranked or ranked[0][1] < MIN_GLOBAL_SCORE * (2 if strong else 1):
            return None
        if len(ranked) > 1 and ranked[0][1] < MIN_MATTER_SHARE * ranked[1][1]:
            return None
        return ranked[0][0]

    def _article_text(self, article: Article) -> str:
        label = texts.ASPECT_LABELS.get(article.aspect, "")
        name = article.matter_name or "一网通办"
        if article.aspect == "tech":
            head = f"【{article.title}】"
        elif article.aspect == "faq":
            head = f"【{name}】{article.question}"
        else:
            head = f"【{name}·{label}】"
        lines = [head, article.answer]
        lines += [f"{i}. {s}" for i, s in enumerate(article.steps[:MAX_STEPS], 1)]
        lines.append(texts.ASK_SOLVED)
        return "\n".join(lines)

    def _answer_reply(self, turn: Turn, hit: Hit, scope: str) -> Reply:
        art = hit.article
        msg = {
            "text": self._article_text(art),
            "buttons": texts.FEEDBACK_BUTTONS,
            "meta": self._meta(turn, scope, art.matter, art.id),
        }
        slots = {
            "matter": art.matter or turn.slots.get("matter"),
            "last_question": turn.text,
            "last_answer": art.answer,
            "last_article": art.id,
            "last_scope": scope,
            "low_conf_count": 0,
            "awaiting_feedback": True,
        }
        return Reply(msg, slots)

    def _unanswered(self, turn: Turn, matter: str | None, scope: str = "unknown") -> Reply:
        count = int(turn.slots.get("low_conf_count") or 0) + 1
        if count >= LOW_CONF_HANDOFF:
            reply = self.handoff(turn, "low_confidence", scope=scope, matter=matter, question=turn.text)
            reply.message["outcome"] = "unanswered"
            reply.message["question"] = turn.text
            reply.slots["low_conf_count"] = 0
            return reply
        text = texts.NO_ARTICLE if matter or scope == "in_scope" else texts.NOT_UNDERSTOOD
        msg = {
            "text": text,
            "buttons": texts.HUMAN_BUTTON,
            "meta": self._meta(turn, scope, matter),
            "outcome": "unanswered",
            "question": turn.text,
        }
        return Reply(
            msg,
            {
                "low_conf_count": count,
                "last_question": turn.text,
                "awaiting_feedback": False,
                "matter": matter or turn.slots.get("matter"),
            },
        )

    def complaint_kind(self, text: str) -> list[str]:
        kinds = []
        for word, kind in COMPLAINT_WORDS.items():
            if word in text and kind not in kinds:
                kinds.append(kind)
        return kinds

    # ----------------------------------------------------------------- answers
    def answer(self, turn: Turn) -> Reply:
        """Answer an aspect (or the general case) of a matter from the KB."""
        text = turn.text or ""
        if _STRONG_COMPLAINT.search(text):
            return self.complaint(turn)
        lowered = text.lower()
        in_context = bool(turn.slots.get("matter") or turn.hint_matter)
        platform_cue = _PLATFORM_STRONG.search(lowered) or (_PLATFORM_CUES.search(lowered) and not in_context)
        if platform_cue and not self.matcher.match(text).candidates:
            return self.platform_tech(turn)
        aspect = ASPECT_INTENTS.get(turn.intent)
        matter, _source = self.resolve_matter(turn, aspect)
        if matter is None:
            hits = self.index.search(turn.text, aspect=None, limit=1)
            if hits and hits[0].score >= MIN_GLOBAL_SCORE:
                hit = hits[0]
                return self._answer_reply(
                    turn, hit, "platform_tech" if hit.article.matter is None else "in_scope"
                )
            if aspect and not hits:
                msg = {"text": texts.ASK_MATTER, "meta": self._meta(turn, "in_scope")}
                return Reply(msg, {"last_question": turn.text, "awaiting_feedback": False})
            return self._unanswered(turn, None, "in_scope" if turn.intent in ASK_INTENTS else "unknown")
        hit = self.best_article(turn.text, matter, aspect)
        if hit is None:
            return self._unanswered(turn, matter, "in_scope")
        return self._answer_reply(turn, hit, "in_scope")

    def best_article(self, text: str, matter: str, aspect: str | None) -> Hit | None:
        """The article of `matter` that best answers the text, favouring the asked aspect."""
        if aspect:
            hits = self.index.search(text, matter=matter, aspect=aspect, limit=1)
        else:
            hits = self.index.search(text, matter=matter, aspect="process", aspect_bonus=0.3, limit=1)
        return hits[0] if hits else None

    def platform_tech(self, turn: Turn) -> Reply:
        """Answer a portal fault from platform-tech articles, else hand off to the big-data center."""
        hits = self.index.search(turn.text, platform=True, limit=1)
        if hits and hits[0].score > 1.0:
            return self._answer_reply(turn, hits[0], "platform_tech")
        return self.handoff(turn, "platform_tech", scope="platform_tech", question=turn.text)

    def complaint(self, turn: Turn) -> Reply:
        """Complaints and legal remedies are not help-desk matters: name the right channel, no handoff."""
        kinds = self.complaint_kind(turn.text or "") or ["hotline", "petition", "review", "court"]
        lines = [texts.COMPLAINT_HEAD] + [f"· {texts.COMPLAINT_CHANNELS[k]}" for k in kinds]
        if kinds != ["hotline"] and "hotline" not in kinds:
            lines.append("· " + texts.COMPLAINT_CHANNELS["hotline"])
        matter = self.matcher.match(turn.text or "").best
        msg = {"text": "\n".join(lines), "meta": self._meta(turn, "complaint_or_legal", matter)}
        return Reply(
            msg, {"last_scope": "complaint_or_legal", "awaiting_feedback": False, "low_conf_count": 0}
        )

    def smalltalk(self, turn: Turn) -> Reply:
        """Greetings, thanks, goodbyes, chitchat, and yes/no (which answer the feedback question if open)."""
        if turn.intent in ("affirm", "deny") and turn.slots.get("awaiting_feedback"):
            return self.resolved(turn) if turn.intent == "affirm" else self.unresolved(turn)
        text = {
            "greet": texts.GREET,
            "thanks": texts.THANKS,
            "goodbye": texts.GOODBYE,
            "affirm": texts.AFFIRM_IDLE,
            "deny": texts.DENY_IDLE,
        }.get(turn.intent, texts.CHITCHAT)
        msg = {"text": text, "meta": self._meta(turn, "chitchat", turn.slots.get("matter"))}
        return Reply(msg, {"low_conf_count": 0})

    def resolved(self, turn: Turn) -> Reply:
        msg = {
            "text": texts.RESOLVED,
            "meta": self._meta(
                turn,
                turn.slots.get("last_scope") or "in_scope",
                turn.slots.get("matter"),
                turn.slots.get("last_article"),
            ),
            "outcome": "bot_resolved",
        }
        return Reply(msg, {"awaiting_feedback": False, "low_conf_count": 0})

    def unresolved(self, turn: Turn) -> Reply:
        return self.handoff(turn, "unresolved")

    def request_human(self, turn: Turn) -> Reply:
        return self.handoff(turn, "user_request")

    def fallback(self, turn: Turn) -> Reply:
        """Low NLU confidence: still answer when the text names a matter or matches an article well."""
        text = turn.text or ""
        if _STRONG_COMPLAINT.search(text):
            return self.complaint(turn)
        if text and not text.startswith("/"):
            runner_up = next((n for n, _ in turn.ranking if n != "nlu_fallback"), None)
            found = self.matcher.match(text).candidates or self.entity_matters(turn)
            if runner_up == "platform_tech" and not found:
                hits = self.index.search(text, platform=True, limit=1)
                if hits and hits[0].score >= MIN_GLOBAL_SCORE:
                    return self._answer_reply(turn, hits[0], "platform_tech")
            if found or runner_up in ASK_INTENTS:
                aspect = ASPECT_INTENTS.get(runner_up or "")
                matter, source = self.resolve_matter(turn, aspect)
                if matter and source in ("alias", "search"):
                    hit = self.best_article(text, matter, aspect)
                    if hit:
                        return self._answer_reply(turn, hit, "in_scope")
            hits = self.index.search(text, limit=1)
            if hits and hits[0].score >= 2 * MIN_GLOBAL_SCORE:
                hit = hits[0]
                return self._answer_reply(
                    turn, hit, "platform_tech" if hit.article.matter is None else "in_scope"
                )
        return self._unanswered(turn, None, "unknown")

    # ----------------------------------------------------------------- handoff
    def handoff(
        self,
        turn: Turn,
        reason: str,
        *,
        scope: str | None = None,
        matter: str | None = None,
        question: str | None = None,
        now: dt.datetime | None = None,
    ) -> Reply:
        """Hand the conversation to a human, with a summary; out of hours, say when people are back."""
        slots = turn.slots
        scope = scope or slots.get("last_scope") or "in_scope"
        if scope not in ("in_scope", "platform_tech", "unknown"):
            scope = "in_scope" if slots.get("matter") else "unknown"
        matter = matter or self._valid_matter(slots.get("matter")) or self._valid_matter(turn.hint_matter)
        if scope == "platform_tech":
            department = PLATFORM_DEPARTMENT
        else:
            department = self.departments.get(matter or "", FALLBACK_DEPARTMENT)
        question = (
            question or slots.get("last_question") or (turn.text if not turn.text.startswith("/") else None)
        )
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
            body = texts.HANDOFF_CLOSED.format(
                hours=self.hours_text(department), when=_when(status.next_open, now)
            )
        msg = {
            "text": intro + body,
            "meta": self._meta(turn, scope, matter, summary["kb_article"]),
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


def _when(moment: dt.datetime, now: dt.datetime | None = None) -> str:
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

"""What 小申 says: pure decision logic over the KB index, the matter matcher and help hours.

The Rasa actions turn tracker state into a `Turn`, call `Brain.respond`, and send
the returned `Reply.message` as the custom JSON of the REST channel (wire format
of the bridge: text, buttons, meta, optional handoff and outcome). Which matter a
turn is about is decided by `bot.actions.matters`, which article answers it by
`bot.actions.ranking`; below their confidence thresholds the bot asks back
("您想问的是…？") instead of answering.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from bot.actions import texts
from bot.actions.cues import (
    COMPLAINT_CUES,
    INDIGNANT,
    MISCONDUCT,
    PLATFORM_CUES,
    PLATFORM_STRONG,
    STRONG_COMPLAINT,
    complaint_kinds,
    person_cue,
)
from bot.actions.handoff import Handoff, HelpStatusFn
from bot.actions.handoff import when as _when  # noqa: F401 - re-exported for callers
from bot.actions.matters import MatterResolver
from bot.actions.ranking import ASPECT_INTENTS, ArticleRanker, Ranked, aspect_probs
from bot.actions.scope_reading import ASK_INTENTS, SMALLTALK_INTENTS, ScopeReader
from bot.actions.turns import Reply, Turn, article_payload, matter_payload, meta
from kb.loader import Article
from kb.matching import MatterMatcher
from kb.pinyin import LatinReader
from kb.search import BM25Index
from kb.typos import TypoReader

LOW_CONF_HANDOFF = 2
MIN_GLOBAL_SCORE = 4.0  # BM25 score a platform-tech article needs to answer a fault
ARTICLE_MIN_CONF = 0.2  # below: ask back with the candidate articles (no dev question was this flat)
NEAR_SECOND = 0.8  # a second reading this close to the first is as likely (requests for a person)
MAX_STEPS = 6
CLOSING_INTENTS = frozenset({"thanks", "feedback_resolved"})
_NO_QUOTES = str.maketrans("", "", "“”\"")

__all__ = ["Brain", "Reply", "Turn"]


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
        self.matters = MatterResolver(index, matcher, departments)
        self.scope = ScopeReader(self.matters)
        self.ranker = ArticleRanker(index)
        self.handoffs = Handoff(departments, help_status, hours_text)
        self.latin = LatinReader.from_phrases(matcher.phrases)
        self.typos = TypoReader.from_phrases(matcher.phrases)

    @property
    def help_status(self) -> HelpStatusFn | None:
        return self.handoffs.help_status

    @help_status.setter
    def help_status(self, fn: HelpStatusFn | None) -> None:
        self.handoffs.help_status = fn

    # ---------------------------------------------------------------- dispatch
    def respond(self, action: str, turn: Turn) -> Reply:
        """Reply for a Rasa action name (see `bot.actions.actions`)."""
        turn = self.read_latin(turn)
        action = self.reroute(action, turn)
        handler = {
            "action_answer": self.answer,
            "action_platform_tech": self.platform_tech,
            "action_complaint_channel": self.complaint,
            "action_smalltalk": self.smalltalk,
            "action_praise": self.praise,
            "action_feedback_resolved": self.resolved,
            "action_feedback_unresolved": self.unresolved,
            "action_handoff": self.request_human,
            "action_fallback": self.fallback,
            "action_default_fallback": self.fallback,
        }.get(action, self.fallback)
        return handler(turn)

    def read_latin(self, turn: Turn) -> Turn:
        """The turn with the matter words typed in pinyin or English read as hanzi (`kb.pinyin`) and their
        typos (homophones, traditional characters: `kb.typos`) read as the words, so that matter resolution,
        retrieval and ranking see them; the typed text is kept for the handoff summary."""
        if turn.payload or not turn.text:
            return turn
        reading = self.typos.rewrite(self.latin.rewrite(turn.text))
        return turn if reading == turn.text else dataclasses.replace(turn, text=reading, typed=turn.text)

    def reroute(self, action: str, turn: Turn) -> str:
        """The action after second-guessing a doubtful NLU prediction (`scope_reading.ScopeReader`)."""
        return self.scope.reroute(action, turn)

    # ----------------------------------------------------------------- replies
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
        if article.service_entry:
            lines.append(texts.ENTRY_LINE.format(name=article.service_entry.name, path=article.service_entry.path))
        if article.source:
            checked = texts.CHECKED_ON.format(date=article.verified_date) if article.verified_date else ""
            lines.append(texts.SOURCE_LINE.format(source=article.source, checked=checked))
        lines.append(texts.ASK_SOLVED)
        return "\n".join(lines)

    def _answer_reply(self, turn: Turn, art: Article, scope: str, question: str | None = None) -> Reply:
        msg = {
            "text": self._article_text(art),
            "buttons": texts.FEEDBACK_BUTTONS,
            "meta": meta(turn, scope, art.matter, art.id),
        }
        slots = {
            "matter": art.matter or turn.slots.get("matter"),
            "last_question": question or turn.text,
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
            "meta": meta(turn, scope, matter),
            "outcome": "unanswered",
            "question": turn.text,
        }
        slots = {
            "low_conf_count": count,
            "last_question": turn.text,
            "awaiting_feedback": False,
            "matter": matter or turn.slots.get("matter"),
        }
        return Reply(msg, slots)

    def _clarify(self, turn: Turn, options: list[tuple[str, str]], matter: str | None) -> Reply:
        """Ask back with up to three candidates (title, payload) as buttons, then the offer of a person."""
        names = "、".join(f"“{t}”" for t, _ in options[:-1])
        listed = f"{names}还是“{options[-1][0]}”" if names else f"“{options[0][0]}”"
        buttons = [{"title": t, "payload": p} for t, p in options] + texts.HUMAN_BUTTON
        msg = {
            "text": texts.CLARIFY.format(options=listed) + texts.CLARIFY_TAIL,
            "buttons": buttons,
            "meta": meta(turn, "in_scope", matter),
        }
        count = int(turn.slots.get("low_conf_count") or 0) + 1
        slots = {"last_question": turn.text, "awaiting_feedback": False, "low_conf_count": count}
        if matter:
            slots["matter"] = matter
        return Reply(msg, slots)

    # ----------------------------------------------------------------- answers
    def answer(self, turn: Turn) -> Reply:
        """Answer the question from the article of its matter that fits it best."""
        text = turn.text or ""
        if STRONG_COMPLAINT.search(text) or INDIGNANT.search(text) or MISCONDUCT.search(text):
            return self.complaint(turn)
        if turn.payload:
            return self._answer_choice(turn)
        lowered = text.lower()
        in_context = bool(turn.slots.get("matter") or turn.hint_matter)
        weak_cue = PLATFORM_CUES.search(lowered) and not in_context and not self.matters.agreed_on(text)
        if (PLATFORM_STRONG.search(lowered) or weak_cue) and not self.matcher.match(text).candidates:
            return self.platform_tech(turn)
        found = self.matters.resolve(turn)
        if found.matter is None:
            if found.candidates:
                return self._clarify(turn, self._matter_options(found.candidates), None)
            if turn.intent in ASPECT_INTENTS:
                msg = {"text": texts.ASK_MATTER, "meta": meta(turn, "in_scope")}
                return Reply(msg, {"last_question": turn.text, "awaiting_feedback": False})
            return self._unanswered(turn, None, "in_scope" if turn.intent in ASK_INTENTS else "unknown")
        return self._answer_in(turn, found.matter, text)

    def _answer_in(self, turn: Turn, matter: str, question: str) -> Reply:
        ranked = self.rank(question, matter, turn)
        if not ranked:
            return self._unanswered(turn, matter, "in_scope")
        if ranked[0].confidence < ARTICLE_MIN_CONF and len(ranked) > 1:
            options = [(r.article.question or r.article.title, article_payload(r.article.id)) for r in ranked]
            return self._clarify(turn, options, matter)
        return self._answer_reply(turn, ranked[0].article, "in_scope", question)

    def _answer_choice(self, turn: Turn) -> Reply:
        """A clarification button: the chosen article, or the last question asked again in the chosen matter."""
        art = self.index.get(turn.entity("article") or "")
        question = turn.slots.get("last_question") or ""
        if art is not None:
            return self._answer_reply(turn, art, "in_scope" if art.matter else "platform_tech", question)
        matter = self.matters.valid(turn.entity("matter"))
        if matter is None:
            return self._unanswered(turn, None, "unknown")
        return self._answer_in(turn, matter, question if not question.startswith("/") else "")

    def rank(self, question: str, matter: str, turn: Turn) -> list[Ranked]:
        """The articles of `matter` ranked for the question (aspect from the NLU ranking and cues)."""
        ranking = turn.ranking or [(turn.intent, turn.confidence)]
        probs = aspect_probs(question, ranking)
        return self.ranker.rank(question, [matter], probs, self.matters.words(matter))

    def _matter_options(self, candidates: list[str]) -> list[tuple[str, str]]:
        names = self.matters.names
        return [(names.get(m, m).translate(_NO_QUOTES), matter_payload(m)) for m in candidates[:3]]

    def platform_tech(self, turn: Turn) -> Reply:
        """Answer a portal fault from platform-tech articles, else hand off to the big-data center."""
        hits = self.index.search(turn.text, platform=True, limit=1)
        if hits and hits[0].score > 1.0:
            return self._answer_reply(turn, hits[0].article, "platform_tech")
        return self.handoff(turn, "platform_tech", scope="platform_tech", question=turn.text)

    def complaint(self, turn: Turn) -> Reply:
        """Complaints and legal remedies are not help-desk matters: name the right channel, no handoff.
        A question about a matter that is such a channel (how to apply for labour arbitration) is answered."""
        asked = turn.intent in ASK_INTENTS
        context = self.matters.valid(turn.slots.get("matter"))
        if turn.text and not turn.payload and (remedy := self.matters.remedy_matter(turn.text, asked, context)):
            return self._answer_in(turn, remedy, turn.text)
        kinds = complaint_kinds(turn.text or "") or ["hotline", "petition", "review", "court"]
        lines = [texts.COMPLAINT_HEAD] + [f"· {texts.COMPLAINT_CHANNELS[k]}" for k in kinds]
        if "hotline" not in kinds:
            lines.append("· " + texts.COMPLAINT_CHANNELS["hotline"])
        matter = self.matcher.match(turn.text or "").best
        msg = {"text": "\n".join(lines), "meta": meta(turn, "complaint_or_legal", matter)}
        return Reply(msg, {"last_scope": "complaint_or_legal", "awaiting_feedback": False, "low_conf_count": 0})

    def smalltalk(self, turn: Turn) -> Reply:
        """Greetings, thanks, goodbyes, chitchat, and yes/no (which answer the feedback question if open)."""
        if turn.intent in ("affirm", "deny") and turn.slots.get("awaiting_feedback"):
            return self.resolved(turn) if turn.intent == "affirm" else self.unresolved(turn)
        if turn.intent == "thanks" and turn.slots.get("awaiting_feedback"):
            return self.resolved(turn)  # thanks after an answer closes the loop
        text = texts.SMALLTALK.get(turn.intent, texts.CHITCHAT)
        msg = {"text": text, "meta": meta(turn, "chitchat", turn.slots.get("matter"))}
        return Reply(msg, {"low_conf_count": 0})

    def praise(self, turn: Turn) -> Reply:
        """Praise of the staff or the service: thanked and passed on; after an answer it closes the loop."""
        if turn.slots.get("awaiting_feedback"):
            return self.resolved(turn)
        msg = {"text": texts.PRAISE, "meta": meta(turn, "chitchat", turn.slots.get("matter"))}
        return Reply(msg, {"low_conf_count": 0})

    def resolved(self, turn: Turn) -> Reply:
        """The user says it is solved: close the loop (outcome bot_resolved)."""
        slots = turn.slots
        if not slots.get("last_article") and not turn.payload:
            return self.smalltalk(Turn(**{**turn.__dict__, "intent": "thanks"}))
        scope = slots.get("last_scope") or "in_scope"
        # the closing words answer from no article: naming the last one would send its cards again (protocol.md)
        msg = {"text": texts.RESOLVED, "meta": meta(turn, scope, slots.get("matter")), "outcome": "bot_resolved"}
        return Reply(msg, {"awaiting_feedback": False, "low_conf_count": 0})

    def unresolved(self, turn: Turn) -> Reply:
        return self.handoff(turn, "unresolved")

    def request_human(self, turn: Turn) -> Reply:
        """A request for a person; a matter the text names (积分的事找个懂行的) takes it to that department."""
        found = self.matters.named(turn) if turn.text and not turn.payload else []
        named = found[0] if len(found) == 1 else self.matcher.match(turn.text or "").best
        return self.handoff(turn, "user_request", scope="in_scope" if named else None, matter=named)

    def fallback(self, turn: Turn) -> Reply:
        """Low NLU confidence: answer only when the text names a matter; else ask back or say so."""
        text = turn.text or ""
        if STRONG_COMPLAINT.search(text) or INDIGNANT.search(text):
            return self.complaint(turn)
        if not text or turn.payload:
            return self._unanswered(turn, None, "unknown")
        runner_up = next((n for n, _ in turn.ranking if n != "nlu_fallback"), None)
        named = self.matters.named(turn)
        torn = turn.intent == "nlu_fallback" and turn.close_second("complaint_or_legal", NEAR_SECOND)
        if torn and not named and COMPLAINT_CUES.search(text):
            return self.complaint(turn)  # "被罚了款我觉得不合理 有没有地方能复查": torn, a complaint cue
        if runner_up == "ask_matter" and self.scope.asks_for_person(turn):
            return self.request_human(turn)  # "我要和办事员通话" torn between a question and a complaint
        if not named and runner_up and runner_up not in ASK_INTENTS:
            reply = self._unsure_scope(turn, runner_up)
            if reply is not None:
                return reply
        if not named and not turn.slots.get("matter") and (topic := self.matters.topic_matters(text)):
            return self._clarify(turn, self._matter_options(topic), None)  # "户口" alone, read as unsure
        if named or runner_up in ASK_INTENTS:
            found = self.matters.resolve(turn)
            follow_up = found.source in ("context", "hint") and runner_up in ASK_INTENTS
            if found.matter and (found.source in ("alias", "search", "model") or follow_up):
                return self._answer_in(turn, found.matter, text)
            if found.candidates and runner_up in ASK_INTENTS:
                return self._clarify(turn, self._matter_options(found.candidates), None)
        elif any(n in ASK_INTENTS for n, _ in turn.ranking[:4]) and (sure := self.matters.placed(text)):
            return self._answer_in(turn, sure, text)  # "去澳门签一次注要交多少": a question the NLU was torn on
        return self._unanswered(turn, None, "unknown")

    def _unsure_scope(self, turn: Turn, runner_up: str) -> Reply | None:
        """A doubtful turn naming no matter, read by the NLU's runner-up when the text backs it up."""
        text = turn.text or ""
        if runner_up == "platform_tech" and PLATFORM_CUES.search(text.lower()):
            return self.platform_tech(turn)
        if runner_up == "complaint_or_legal" and COMPLAINT_CUES.search(text):
            return self.complaint(turn)
        if turn.close_second("request_human", NEAR_SECOND) and person_cue(text):
            return self.request_human(turn)  # "能不能有个人帮我看看": torn between complaint and a person
        chat = runner_up in CLOSING_INTENTS or runner_up in SMALLTALK_INTENTS
        if chat and any(n in ASK_INTENTS for n, _ in turn.ranking[:4]) and (sure := self.matters.placed(text)):
            return self._answer_in(turn, sure, text)  # "车子开了六年了 年检怎么预约" read unsure as thanks
        if runner_up in CLOSING_INTENTS:
            return self.resolved(turn)
        if runner_up in SMALLTALK_INTENTS:
            return self.smalltalk(Turn(**{**turn.__dict__, "intent": runner_up}))
        return None

    # ----------------------------------------------------------------- handoff
    def handoff(self, turn: Turn, reason: str, *, scope: str | None = None, matter: str | None = None,
                question: str | None = None, now=None) -> Reply:
        """Hand the conversation to a human, with a summary (see `bot.actions.handoff`)."""
        slots = turn.slots
        scope = scope or slots.get("last_scope") or ("in_scope" if slots.get("matter") else "unknown")
        if scope not in ("in_scope", "platform_tech", "unknown"):
            scope = "in_scope" if slots.get("matter") else "unknown"
        matter = matter or self.matters.valid(slots.get("matter")) or self.matters.valid(turn.hint_matter)
        question = question or slots.get("last_question") or (turn.text if not turn.payload else None)
        if turn.typed and question == turn.text:
            question = turn.typed  # the agent reads what the citizen wrote
        return self.handoffs.reply(turn, reason, scope=scope, matter=matter, question=question, now=now)


"""Second-guessing the NLU's scope: a doubtful prediction read again with cues from the text and the matter model
(docs/bot.md, "How a question is answered" 1 and 6): answered as a question, handed off, or given the complaint
channels."""

from __future__ import annotations

from bot.actions.cues import (
    ASKS,
    CALL_FOR_PERSON,
    COMPLAINT_CUES,
    PLATFORM_CUES,
    PLATFORM_STRONG,
    STAFF_MANNER,
    STRONG_COMPLAINT,
    calls_for_a_person,
    cannot_do_it_alone,
    names_a_person_in_latin,
    person_cue,
    person_only_in_passing,
    praises_staff,
    wants_a_person,
)
from bot.actions.matters import MatterResolver
from bot.actions.ranking import ASPECT_CUES, ASPECT_INTENTS
from bot.actions.turns import Turn

TRUST_SCOPE = 0.5  # an NLU scope intent this sure is believed without any keyword cue
UNSURE_SMALLTALK = 0.7  # below: small talk with a cue for a person is read by its runner-up
UNCUED_SCOPE = 0.95  # below: a fault without any cue is doubted when model and retrieval agree (a complaint: always)
UNSURE_FAULT = 0.8  # below: a platform fault without any cue for one is doubted when the matter model is sure
ASK_INTENTS = frozenset({"ask_matter", *ASPECT_INTENTS})
FEEDBACK_INTENTS = frozenset({"feedback_resolved", "feedback_unresolved", "affirm", "deny"})
SMALLTALK_INTENTS = frozenset({"greet", "goodbye", "chitchat"})


class ScopeReader:
    """Reads a turn's NLU prediction again where the text or the matter model doubts it."""

    def __init__(self, matters: MatterResolver) -> None:
        self.matters = matters

    def reroute(self, action: str, turn: Turn) -> str:
        """Second-guess a doubtful NLU prediction with cues from the text (docs/bot.md, "How a question is
        answered" 1 and 6): answered as a low-confidence turn, handed off, or given the complaint channels."""
        text = turn.text or ""
        if not text or turn.payload:
            return action
        if calls_for_a_person(text) and not STRONG_COMPLAINT.search(text):
            return "action_handoff"  # "真人", "客服在吗", "机器人别回了", "要求回电": read as anything
        if praises_staff(text) and not (ASKS.search(text) and self.matters.named(turn)):
            return "action_praise"  # "窗口的老师很耐心 替我谢谢她" read as a complaint about her
        if action == "action_handoff" and person_only_in_passing(text) and not wants_a_person(text):
            return self._not_a_person(turn)  # "人工智能会取代你们吗", "比人工客服还快"
        chat = action == "action_smalltalk" or turn.intent in FEEDBACK_INTENTS
        if chat and turn.confidence < UNSURE_SMALLTALK and CALL_FOR_PERSON.search(text):
            return "action_handoff"  # "有人值班吗 等半天了" read as feedback
        if names_a_person_in_latin(turn.typed or text) and not STRONG_COMPLAINT.search(text):
            return "action_handoff"  # "zhuan rengong", "human please": words the NLU was never taught (as typed)
        if (turn.intent == "feedback_unresolved" and person_cue(text)) or cannot_do_it_alone(text) or (
                (turn.intent == "ask_matter" or wants_a_person(text)) and self.asks_for_person(turn)):
            return "action_handoff"  # "我还是想问问窗口的老师"; "退休手续太复杂 我自己搞不定 有人能帮忙吗"
        if self._aspect_of_the_matter(action, turn):
            return "action_answer"  # "那在哪里办呀" after an answer, read as an unsure greeting
        named = bool(self.matters.named(turn))
        if not named and chat:
            placed = self.matters.retrieved(text)  # "失业了 社保断了怎么办" read as thanks
            named = bool(placed) and (action != "action_smalltalk" or self.matters.model_top(text) == placed)
        uncued = (action == "action_platform_tech" and not PLATFORM_CUES.search(text.lower())
                  and turn.confidence < UNCUED_SCOPE) or (
            action == "action_complaint_channel" and not COMPLAINT_CUES.search(text))  # however sure: a long story
        if not named and uncued:
            named = bool(self.matters.agreed_on(text))  # "施工证领了没按时开工会怎样" read as a fault
        content = named or bool(PLATFORM_CUES.search(text.lower()))
        unsure = turn.confidence < TRUST_SCOPE
        manner = STAFF_MANNER.search(text) and not wants_a_person(text)  # "那个审核的老师说话太冲了"
        if action == "action_answer" and unsure and manner:
            return "action_complaint_channel"  # "派出所的民警对老人大呼小叫" read as an unsure question
        cued = named or COMPLAINT_CUES.search(text) or self.matters.placed(text)  # "…是我自己弄还是单位帮我弄"
        half_sure = turn.confidence < UNSURE_FAULT and cued
        doubtful = (
            (action == "action_complaint_channel" and not COMPLAINT_CUES.search(text)
             and (unsure or named or (turn.confidence < UNSURE_FAULT and person_cue(text))))
            or (action == "action_complaint_channel" and unsure and not STRONG_COMPLAINT.search(text)
                and bool(self.matters.sure_of(text)))  # "…有没有被法院封": a question about a clear matter
            or (action == "action_complaint_channel" and turn.confidence < UNSURE_FAULT
                and not COMPLAINT_CUES.search(text) and bool(self.matters.placed(text)))
            or (action == "action_handoff" and ((unsure or half_sure) and not person_cue(text) or manner))
            or (action == "action_smalltalk" and turn.confidence < UNSURE_SMALLTALK and person_cue(text))
            or (action == "action_platform_tech" and named and not PLATFORM_STRONG.search(text.lower()))
            or (turn.intent in FEEDBACK_INTENTS and not turn.slots.get("awaiting_feedback") and content)
            or (action == "action_smalltalk" and named and turn.confidence < 0.9)
        )
        if not doubtful:
            return action
        runner_up = next((n for n, _ in turn.ranking if n != turn.intent and n != "nlu_fallback"), None)
        if runner_up == "request_human" and person_cue(text):
            return "action_handoff"  # "还是找个懂行的吧" read as an unsure complaint
        if action == "action_handoff" and COMPLAINT_CUES.search(text):
            return "action_complaint_channel"  # asking for someone while aggrieved: the channels, not an article
        backed = runner_up == "complaint_or_legal" and COMPLAINT_CUES.search(text)  # "窗口的人故意为难我"
        if action == "action_complaint_channel" and not backed and self.matters.placed(text):
            turn.ranking = [("ask_matter", 0.0), *turn.ranking]  # "节目都批好了 演员来不了想换人 怎么搞"
        elif runner_up in ASK_INTENTS or runner_up == "platform_tech" or backed:
            turn.ranking = [(runner_up, 0.0), *turn.ranking]
        return "action_fallback"

    @staticmethod
    def _not_a_person(turn: Turn) -> str:
        """A request for a person misread from a passing mention: the NLU's next reading, through the fallback."""
        runner_up = next((n for n, _ in turn.ranking if n not in ("request_human", "nlu_fallback")), "chitchat")
        turn.ranking = [(runner_up, 0.0), *turn.ranking]
        return "action_fallback"

    @staticmethod
    def _aspect_of_the_matter(action: str, turn: Turn) -> bool:
        """Unsure small talk in a conversation about a matter whose text asks an aspect (where, how long, what to
        bring): a follow-up question about that matter."""
        if action != "action_smalltalk" or turn.intent not in SMALLTALK_INTENTS:
            return False
        if turn.confidence >= UNSURE_SMALLTALK or not turn.slots.get("matter"):
            return False
        return any(cue.search(turn.text or "") for cue in ASPECT_CUES.values())

    def asks_for_person(self, turn: Turn) -> bool:
        """A request for a person among the NLU's three best readings, and an explicit ask to be called, seen or put
        through (matter or not: "残疾证办到哪了 请经办人联系我") or a cue for a person and no matter named."""
        top, text = [n for n, _ in turn.ranking if n != "nlu_fallback"][:3], turn.text or ""
        wanted = wants_a_person(text) and not STRONG_COMPLAINT.search(text)
        return "request_human" in top and (wanted or person_cue(text) and not self.matters.named(turn))

"""Which matter a turn is about: named (entity, alias), retrieved, hinted or from context.

A follow-up without a matter stays on the conversation's matter; a new matter or
alias switches. Retrieval alone names a matter only when it is clear and the question
has a word specific to it (found in at most three matters); when it is not, its best
few matters are the candidates to ask back with.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from bot.actions.cues import AT_THE_OFFICE, INDIGNANT, MISCONDUCT, STRONG_COMPLAINT
from bot.actions.matter_model import MatterModel
from bot.actions.turns import Turn
from kb.matching import ONE_THING, MatterMatcher
from kb.search import BM25Index
from kb.tokenize import normalize, tokenize

MIN_GLOBAL_SCORE = 4.0  # BM25 score needed to trust a match without any matter signal
MIN_MATTER_SHARE = 1.2  # top matter must beat the runner-up by this factor (global guess)
DOMINANT_SCORE, DOMINANT_SHARE = 20.0, 3.0  # no telling word needed when retrieval is this sure
MAX_CANDIDATES = 3
SHORT_ALIAS = 2.0  # a lone two-character alias (退休, 报销) yields to decisive retrieval for another matter
NEAR_TIE = 0.75  # aliases scoring this close to the best are told apart by retrieval
# The matter model's posteriors (calibrated) from which it is right on dev as often as session 8's thresholds
# made naive Bayes right (95 %, 96 %, 97.5 %): `./bangban bench matter_calibration` derives them
MODEL_SURE = 0.52  # names a matter on a first turn without an alias
MODEL_OVER_ALIAS = 0.71  # ... overrides a lone two-character alias of another matter (and is "very sure")
MODEL_AGREES = 0.34  # names the matter when retrieval's clear top agrees
# A clause that only sets the scene for the question ("二手房过户之前", "孩子上学报名要用"): the matter asked about is
# the one the clauses after it name
CONTEXT_CLAUSE = re.compile(r"(之前|以前|之后|以后|前|后|要用|用的|的时候|时候)$")
PURPOSE_CLAUSE = re.compile("(要用|要用到|需要用)$")  # a last clause saying what the asked thing is for
_CLAUSES = re.compile(r"[\s，,。；;：:！!？?]+")
# What a first turn says besides a bare topic ("公积金的事", "医保方面想问下"): the topic is then all it names
TOPIC_FILLER = re.compile(
    "的事情|的事|事情|的问题|问题|方面|相关|想问一下|想问下|想问问|想问|问问|问一下|问下|请问|咨询|我要|我想|一下|那个|这个|"
    "[呢吗啊吧呀哦嗯的]|[\\s，,。？?！!~～]")
TOPIC_CHARS = (2, 3)  # a topic word this long (公积金, 医保); longer ones name a matter or are a question
MODEL_OVER_NAMES = 0.78  # overrules aliases of other matters (right 9 times in 10 on dev: 低保 in "吃低保了 突然住院…")
QUALIFIED_RUN = 3  # an alias sharing an ending this long with another matter's word qualifies it


@dataclass
class Found:
    """The matter of a turn (or None), where it came from, and candidates when unsure."""

    matter: str | None
    source: str  # alias, model, search, hint, context, none
    candidates: list[str] = field(default_factory=list)


class MatterResolver:
    """Decides the matter of a turn from the matcher, the NLU entities, retrieval and context."""

    def __init__(self, index: BM25Index, matcher: MatterMatcher, departments: dict[str, str]):
        self.index = index
        self.matcher = matcher
        self.departments = departments
        self.names = {a.matter: a.matter_name for a in index.articles if a.matter and a.matter_name}
        owned: dict[str, list[str]] = defaultdict(list)
        for phrase, owners in matcher.phrases.items():
            for m in owners:
                owned[m].append(phrase)
        self._words = {m: sorted(ps, key=len, reverse=True) for m, ps in owned.items()}
        self.model = MatterModel.from_articles(index.articles)
        texts: dict[str, list[str]] = defaultdict(list)
        for a in index.articles:
            if a.matter and ONE_THING in a.matter_name:
                texts[a.matter] += [a.title, a.question, a.answer, *a.steps]
        self._bundle_texts = {m: normalize(" ".join(ts)) for m, ts in texts.items()}

    def valid(self, value: Any) -> str | None:
        """A known matter id for an id or a name, else None."""
        if not isinstance(value, str) or not value:
            return None
        if value in self.departments:
            return value
        return self.matcher.match(value).best

    def words(self, matter: str) -> list[str]:
        """The names and aliases of a matter, longest first."""
        return self._words.get(matter, [])

    def entity_matters(self, turn: Turn) -> list[str]:
        """Matter ids named by the NLU `matter` entities."""
        out: list[str] = []
        for ent in turn.entities:
            if ent.get("entity") == "matter":
                m = self.valid(ent.get("value"))
                if m and m not in out:
                    out.append(m)
        return out

    def named(self, turn: Turn) -> list[str]:
        """Matters the text names by alias or entity."""
        found = [m for m, _ in self.matcher.match(turn.text or "").candidates]
        return found + [m for m in self.entity_matters(turn) if m not in found]

    def asked_part(self, text: str) -> str | None:
        """The clauses after a clause that only sets the scene (or before a last one that says what the asked thing
        is for), when they name a matter other than it does."""
        clauses = [c for c in _CLAUSES.split(text) if c]
        last = max((i for i, c in enumerate(clauses[:-1]) if CONTEXT_CLAUSE.search(c)), default=None)
        if last is not None:
            asked, scene = clauses[last + 1 :], clauses[: last + 1]
        elif len(clauses) > 1 and PURPOSE_CLAUSE.search(clauses[-1]):
            asked, scene = clauses[:-1], clauses[-1:]  # "…也要备案吗 提取公积金要用"
        else:
            return None
        named = {m for m, _ in self.matcher.match(" ".join(asked)).candidates}
        scene_named = {m for m, _ in self.matcher.match(" ".join(scene)).candidates}
        return " ".join(asked) if named and named != scene_named else None

    def resolve(self, turn: Turn) -> Found:
        """The matter of the turn and where it came from (of the asked part when a clause only sets the scene)."""
        if (asked := self.asked_part(turn.text or "")) is not None:
            turn = replace(turn, text=asked, entities=[])
        text = turn.text or ""
        match = self.matcher.match(text)
        aliases = dict(match.candidates)
        cands = dict(aliases)
        for m in self.entity_matters(turn):
            cands[m] = cands.get(m, 0.0) + 2.0
        if cands and (over := self._over_names(text, cands)):
            return Found(over, "model")
        if aliases and max(aliases.values()) <= SHORT_ALIAS:
            ranked = self.index.matter_scores(text)  # 退休 in "退休了单位交的住房的钱怎么拿出来"
            learned = self.model.posterior(text)  # 退休 in "退休返聘的员工要交社保吗"
            # the model backs the alias: 契税 in "买二手房要交多少契税"
            kept = bool(learned) and learned[0][0] in cands and learned[0][1] >= MODEL_SURE
            if ranked and ranked[0][0] not in cands and self._dominant(ranked) and not kept:
                return Found(ranked[0][0], "search")
            backed = bool(ranked) and ranked[0][0] in cands  # retrieval backs 过户 in "房子过户需要本人到场吗"
            if learned and learned[0][0] not in cands and learned[0][1] >= MODEL_OVER_ALIAS and not backed:
                return Found(learned[0][0], "model")
        agreed = self.sure_of(text) if cands else None
        if agreed and agreed != max(cands, key=cands.get) and (
            agreed in cands or not match.phrases or self.holds_parts(agreed, match.phrases)
        ):
            return Found(agreed, "model")  # a loose 单位社保 in "新公司的公章发票社保能一次办完吗", a weaker 个体户
        if cands:
            ranked = sorted(cands.items(), key=lambda kv: -kv[1])
            tied = [m for m, s in ranked if s >= NEAR_TIE * ranked[0][1] - 1e-9]
            if len(tied) == 1:
                return Found(tied[0], "alias")
            if agreed in tied:  # 高新 and 评审费 in "申报国家高新要交评审费吗": model and retrieval agree
                return Found(agreed, "model")
            hits = self.index.search(text, matters=tied, limit=1)
            return Found(hits[0].article.matter if hits else tied[0], "alias")
        hint = self.valid(turn.hint_matter)
        context = self.valid(turn.slots.get("matter"))
        if not (hint or context) and (topic := self.topic_matters(text)):
            return Found(None, "none", topic)
        ranked, guess = self._retrieve(text, followup=bool(hint or context))
        learned = self.model.posterior(text) if not (hint or context) else []
        if learned and (agreed := self._agreeing(learned, ranked)):
            return Found(agreed, "model")  # model and retrieval agree, neither sure alone
        if learned and learned[0][1] >= (MODEL_OVER_ALIAS if guess else MODEL_SURE):
            return Found(learned[0][0], "model")  # retrieval's guess yields only to a very sure model
        if guess:
            return Found(guess, "search")
        if hint:
            return Found(hint, "hint")
        if context:
            return Found(context, "context")
        good = [m for m, s in ranked[:MAX_CANDIDATES] if s >= MIN_GLOBAL_SCORE]
        return Found(None, "none", good)

    def topic_matters(self, text: str) -> list[str]:
        """The matters (up to three, retrieval's order) whose names or aliases hold the bare topic word that is all
        the text says, when several do: "公积金的事" or "医保" is asked back, not answered from one of them."""
        topic = TOPIC_FILLER.sub("", text)
        if not TOPIC_CHARS[0] <= len(topic) <= TOPIC_CHARS[1]:
            return []
        holders = [m for m, words in self._words.items() if any(topic in w for w in words)]
        if len(holders) < 2:
            return []
        order = {m: i for i, (m, _) in enumerate(self.index.matter_scores(topic, top_k=40))}
        return sorted(holders, key=lambda m: order.get(m, len(order)))[:MAX_CANDIDATES]

    def _over_names(self, text: str, cands: dict[str, float]) -> str | None:
        """The matter model's top matter when it is sure enough to overrule the matters the text names, none
        of them its own: an alias is often a matter's word used about another ("我拿居住证买了第一套房 每年还要
        交税吗"); among named matters the ties are told apart below."""
        learned = self.model.posterior(text)
        if learned and learned[0][1] >= MODEL_OVER_NAMES and learned[0][0] not in cands:
            phrases = self.matcher.match(text).phrases
            if not any(self._qualifies(p, learned[0][0]) for p in phrases):
                return learned[0][0]
        return None

    def _qualifies(self, phrase: str, other: str) -> bool:
        """Whether a matched alias is a qualified form of a word that `other`'s names share ("个税汇算" of the 汇算
        in "企业所得税汇算"): the text chose its own matter's version of the shared word, which a model sure of
        `other` must not overrule."""
        return any(_shared_head(phrase, w) >= QUALIFIED_RUN for w in self.words(other))

    def holds_parts(self, bundle: str, phrases: list[str]) -> bool:
        """Whether `bundle` is a "一件事" whose own articles name every matched alias (its parts: 社保卡 of
        the birth one-thing, 优待证 of the veteran one): the bundle, agreed on, is what the asker means."""
        text = self._bundle_texts.get(bundle, "")
        return bool(text and phrases) and all(p in text for p in phrases)

    def model_top(self, text: str) -> str | None:
        """The matter model's best matter for the text, however unsure."""
        learned = self.model.posterior(text)
        return learned[0][0] if learned else None

    def sure_of(self, text: str, at: float = MODEL_OVER_ALIAS) -> str | None:
        """The matter the model is very sure of (`at`) and retrieval agrees with (for doubtful NLU turns)."""
        learned = self.model.posterior(text)
        ranked = self.index.matter_scores(text)
        if learned and ranked and learned[0][1] >= at and ranked[0][0] == learned[0][0]:
            return learned[0][0]
        return None

    def placed(self, text: str) -> str | None:
        """The matter the model names on its own (as on a first turn without an alias), retrieval agreeing."""
        return self.sure_of(text, MODEL_SURE)

    def agreed_on(self, text: str) -> str | None:
        """The matter model and retrieval agree on: the model very sure, or fairly sure and retrieval clear."""
        return self.sure_of(text) or self._agreeing(self.model.posterior(text), self.index.matter_scores(text))

    def _agreeing(self, learned: list[tuple[str, float]], ranked: list[tuple[str, float]]) -> str | None:
        """The model's top matter when it is fairly sure and retrieval's clear top is the same."""
        if learned and ranked and learned[0][0] == ranked[0][0] and learned[0][1] >= MODEL_AGREES:
            return learned[0][0] if self._clear(ranked, strong=False) else None
        return None

    def remedy_matter(self, text: str, asked: bool = False, context: str | None = None) -> str | None:
        """A matter that is itself a complaint or dispute service (12315, labour arbitration) which the
        text names: a question about using that service, not a complaint to route. Without an alias, the
        model very sure and retrieval agreeing place it ("跟公司打官司要交钱吗"); a text read as a complaint
        about a shop or an employer, not the administration, may be placed by a fairly sure model too
        ("商家不认账 去哪反映"), unless it is indignant at how it was handled ("反映了好几次都没人理 投诉无门").
        In a conversation about another matter (`context`, not itself such a service) only an alias places it: a
        bare "我要投诉" after a refusal is about how that matter was handled, not a shop."""
        if MISCONDUCT.search(text):
            return None
        match = self.matcher.match(text)
        if match.candidates:
            matter = match.best
        elif context and not STRONG_COMPLAINT.search(self.names.get(context, "")):
            matter = None
        elif asked:
            matter = self.sure_of(text)
        else:
            matter = None if AT_THE_OFFICE.search(text) or INDIGNANT.search(text) else self.agreed_on(text)
        return matter if matter and STRONG_COMPLAINT.search(self.names.get(matter, "")) else None

    def retrieved(self, text: str) -> str | None:
        """The matter retrieval alone places a first-turn text in, when it is clear and telling."""
        return self._retrieve(text, followup=False)[1]

    def _retrieve(self, text: str, followup: bool) -> tuple[list[tuple[str, float]], str | None]:
        """Matters ranked by retrieval, and the top one when it is clear and the text tells it."""
        content = [t for t in tokenize(text) if len(t) > 1]
        ranked = self.index.matter_scores(text) if len(content) >= (3 if followup else 2) else []
        guess = self._clear(ranked, strong=followup)
        if followup and guess and not self.index.specific_terms(text, guess, characteristic=True):
            guess = None  # a follow-up stays on its matter unless the text holds a word of the other matter's own
        if guess and not (self._dominant(ranked) or self.index.specific_terms(text, guess)):
            guess = None  # only words many matters share ("证件", "孩子"): ask back instead
        return ranked, guess

    @staticmethod
    def _dominant(ranked: list[tuple[str, float]]) -> bool:
        """Retrieval alone is decisive: a strong top matter far ahead of the next."""
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        return ranked[0][1] >= DOMINANT_SCORE and ranked[0][1] >= DOMINANT_SHARE * runner_up

    @staticmethod
    def _clear(ranked: list[tuple[str, float]], strong: bool) -> str | None:
        """The top matter when it is clear enough (`strong`: twice the usual score)."""
        if not ranked or ranked[0][1] < MIN_GLOBAL_SCORE * (2 if strong else 1):
            return None
        if len(ranked) > 1 and ranked[0][1] < MIN_MATTER_SHARE * ranked[1][1]:
            return None
        return ranked[0][0]


def _shared_head(phrase: str, word: str) -> int:
    """The length of the longest proper ending of `phrase` found in `word`: the head the two share, `phrase`
    qualifying it its own way (汇算 in 个税汇算 and 企业所得税汇算; Chinese puts the qualifier first)."""
    return next((k for k in range(len(phrase) - 1, 0, -1) if phrase[-k:] in word), 0)

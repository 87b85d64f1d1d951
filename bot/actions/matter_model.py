"""A learned matter classifier: multinomial naive Bayes over character n-grams.

Trained when the brain is built, from the live KB itself: every article's question,
title and trainer-written paraphrases, and the matter's name and aliases. It reads a
question as a whole (施工证, 生完孩子, 返聘) where retrieval needs a word the index
knows, and gives a calibrated-looking posterior over the matters; the resolver uses it
as one signal next to aliases and retrieval, never alone on a weak posterior.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from kb.loader import Article
from kb.tokenize import normalize

ALPHA = 0.1  # additive smoothing
NGRAMS = (1, 2, 3)
# Characters of questions that say nothing about the matter
_FILLER = re.compile(r"[\W_0-9a-zA-Z]+|怎么|什么|可以|能不能|需要|要|吗|呢|吧|啊|了|的|我|你|们|是|有|办|在|哪|去")


def grams(text: str) -> list[str]:
    """Character 1-3 grams of the normalised text without filler words and punctuation."""
    t = _FILLER.sub(" ", normalize(text))
    out: list[str] = []
    for chunk in t.split():
        for n in NGRAMS:
            out += [chunk[i : i + n] for i in range(len(chunk) - n + 1)]
    return out


def training_texts(articles: Iterable[Article]) -> list[tuple[str, str]]:
    """(matter, text) pairs from the KB: questions, titles, paraphrases, names and aliases."""
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for a in articles:
        if not a.matter:
            continue
        for t in (a.question, a.title, *a.paraphrases, a.matter_name, *a.aliases):
            if t and (a.matter, t) not in seen:
                seen.add((a.matter, t))
                pairs.append((a.matter, t))
    return pairs


class MatterModel:
    """P(matter | question) from character n-grams."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        docs: Counter[str] = Counter()
        for matter, text in pairs:
            counts[matter].update(grams(text))
            docs[matter] += 1
        vocab = {g for c in counts.values() for g in c}
        self.vocab_size = len(vocab) or 1
        total_docs = sum(docs.values()) or 1
        self.matters = sorted(counts)
        self.prior = {m: math.log(docs[m] / total_docs) for m in self.matters}
        self.loglik: dict[str, dict[str, float]] = {}
        self.unseen: dict[str, float] = {}
        for m in self.matters:
            z = sum(counts[m].values()) + ALPHA * self.vocab_size
            self.loglik[m] = {g: math.log((c + ALPHA) / z) for g, c in counts[m].items()}
            self.unseen[m] = math.log(ALPHA / z)
        self.known = vocab
        self._last: tuple[str, list[tuple[str, float]]] | None = None

    @classmethod
    def from_articles(cls, articles: Iterable[Article]) -> MatterModel:
        return cls(training_texts(articles))

    def posterior(self, text: str) -> list[tuple[str, float]]:
        """Matters with their posterior probabilities, best first (empty when no known n-gram)."""
        if self._last is not None and self._last[0] == text:  # a turn asks several times
            return self._last[1]
        out = self._posterior(text)
        self._last = (text, out)
        return out

    def _posterior(self, text: str) -> list[tuple[str, float]]:
        gs = [g for g in grams(text) if g in self.known]
        if not gs or not self.matters:
            return []
        logs = {}
        for m in self.matters:
            ll, miss = self.loglik[m], self.unseen[m]
            logs[m] = self.prior[m] + sum(ll.get(g, miss) for g in gs)
        top = max(logs.values())
        exps = {m: math.exp(v - top) for m, v in logs.items()}
        z = sum(exps.values())
        return sorted(((m, e / z) for m, e in exps.items()), key=lambda kv: -kv[1])

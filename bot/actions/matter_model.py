"""A learned matter classifier: naive Bayes and logistic regression over character n-grams.

Trained when the brain is built, from the live KB itself: every article's question,
title and trainer-written paraphrases, and the matter's name and aliases. It reads a
question as a whole (施工证, 生完孩子, 返聘) where retrieval needs a word the index
knows, and gives a posterior over the matters; the resolver uses it as one signal next
to aliases and retrieval, never alone on a weak posterior. Naive Bayes alone is sure and
wrong on look-alike pairs (it counts every shared n-gram as independent evidence); the
discriminative model weighs the n-grams that tell the pair apart, and their summed scores,
tempered (session 9, chosen on the dev questions, `bench/matter_calibration.py`), rank the
model's own mistakes lower.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from bot.actions import softmax_regression
from kb.loader import Article
from kb.tokenize import normalize

ALPHA = 0.1  # additive smoothing of naive Bayes
LR_WEIGHT = 5.0  # the logistic regression's scores added to naive Bayes' log-likelihoods (dev)
TEMPERATURE = 6.5  # both divided by it before the softmax (fitted on dev: `bench/matter_calibration.py`)
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
    """P(matter | question) from character n-grams: naive Bayes plus a logistic regression, tempered."""

    def __init__(self, pairs: Iterable[tuple[str, str]], lr_weight: float = LR_WEIGHT,
                 temperature: float = TEMPERATURE):
        docs = [(m, grams(t)) for m, t in pairs]
        docs = [(m, gs) for m, gs in docs if gs]
        self.matters = sorted({m for m, _ in docs})
        self.lr_weight, self.temperature = lr_weight, temperature
        label = {m: i for i, m in enumerate(self.matters)}
        self.vocab: dict[str, int] = {}
        ids = [[self.vocab.setdefault(g, len(self.vocab)) for g in gs] for _, gs in docs]
        rows = [sorted(set(r)) for r in ids]
        labels = [label[m] for m, _ in docs]
        k = len(self.matters)
        flat = [g * k + c for r, c in zip(ids, labels, strict=True) for g in r]
        counts = np.bincount(flat, minlength=(len(self.vocab) or 1) * k).reshape(-1, k).astype(float)
        totals = counts.sum(0) + ALPHA * counts.shape[0]
        self.loglik = np.log((counts + ALPHA) / totals)
        per_matter = np.bincount(labels, minlength=len(self.matters)) if labels else np.ones(0)
        self.prior = np.log(per_matter / max(per_matter.sum(), 1)) if labels else per_matter
        if labels and lr_weight:
            self.lr_w, self.lr_b = softmax_regression.train(rows, labels, len(self.vocab), len(self.matters))
        self._last: tuple[str, list[tuple[str, float]]] | None = None

    @classmethod
    def from_articles(cls, articles: Iterable[Article], **kw) -> MatterModel:
        return cls(training_texts(articles), **kw)

    def posterior(self, text: str) -> list[tuple[str, float]]:
        """Matters with their posterior probabilities, best first (empty when no known n-gram)."""
        if self._last is not None and self._last[0] == text:  # a turn asks several times
            return self._last[1]
        out = self._posterior(text)
        self._last = (text, out)
        return out

    def scores(self, text: str) -> np.ndarray | None:
        """The tempered log-scores of the matters for the text (None when no known n-gram)."""
        gs = [self.vocab[g] for g in grams(text) if g in self.vocab]
        if not gs or not self.matters:
            return None
        z = self.prior + self.loglik[gs].sum(0)
        if self.lr_weight:
            z = z + self.lr_weight * softmax_regression.logits(self.lr_w, self.lr_b, sorted(set(gs)))
        return z / self.temperature

    def _posterior(self, text: str) -> list[tuple[str, float]]:
        z = self.scores(text)
        if z is None:
            return []
        p = np.exp(z - z.max())
        p /= p.sum()
        return [(self.matters[i], float(p[i])) for i in np.argsort(-p, kind="stable")]

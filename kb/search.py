"""BM25 retrieval over knowledge-base articles, live-reloaded from MongoDB.

`BM25Index` is pure and in memory (title, question and trainer-written paraphrases,
answer, steps and aliases, with field weights). `KBSearcher` loads the articles from the `kb_articles`
collection and rebuilds the index whenever the KB revision (bumped by the
importer and by any editor) changes, so an edited article is live without
retraining the bot.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kb.loader import Article
from kb.tokenize import add_words, normalize, tokenize
from kb.versions import INACTIVE

FIELD_WEIGHTS = {"title": 2.0, "question": 2.0, "aliases": 1.5, "answer": 1.0, "steps": 0.7}
REVISION_ID = "revision"


@dataclass(frozen=True)
class Hit:
    """A ranked article."""

    article: Article
    score: float


MATTER_WIDE = frozenset({"aliases"})  # the same in every article of a matter: no help to choose among them


def _weighted_terms(article: Article) -> tuple[dict[str, float], dict[str, float]]:
    """Weighted term frequencies over all fields, and over the fields that differ within a matter."""
    fields = {
        "title": article.title,
        "question": " ".join((article.question, *getattr(article, "paraphrases", ()))),
        "aliases": " ".join((article.matter_name, *article.aliases)),
        "answer": article.answer,
        "steps": " ".join(article.steps),
    }
    tf: dict[str, float] = defaultdict(float)
    own: dict[str, float] = defaultdict(float)
    whole = {normalize(a) for a in (article.matter_name, *article.aliases)}
    for name, text in fields.items():
        if text:
            for term in tokenize(text):
                tf[term] += FIELD_WEIGHTS[name]
                if name not in MATTER_WIDE or term not in whole:
                    own[term] += FIELD_WEIGHTS[name]
    return tf, own


def _written_terms(article: Article) -> frozenset[str]:
    """The terms of an article's own text (everything but the trainer-written paraphrases)."""
    texts = (article.title, article.question, article.matter_name, *article.aliases, article.answer, *article.steps)
    return frozenset(t for text in texts if text for t in tokenize(text))


class _Postings:
    """An inverted index with BM25 statistics over given term frequencies (one dict per article)."""

    def __init__(self, tfs: Sequence[dict[str, float]], k1: float, b: float):
        self.k1, self.b = k1, b
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.lengths = [sum(tf.values()) for tf in tfs]
        for i, tf in enumerate(tfs):
            for term, freq in tf.items():
                self.postings[term].append((i, freq))
        n = len(tfs)
        self.avg_len = (sum(self.lengths) / n) if n else 1.0
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def scores(self, terms: Sequence[str], idf: dict[str, float] | None = None,
               members: frozenset[int] | None = None) -> dict[int, float]:
        """BM25 of the articles sharing a term; `idf` replaces the index-wide one (a term missing from it
        counts nothing) and `members` keeps only those articles."""
        out: dict[int, float] = defaultdict(float)
        k1, b, avg = self.k1, self.b, self.avg_len
        weights = self.idf if idf is None else idf
        for term in set(terms):
            plist = self.postings.get(term)
            w = weights.get(term)
            if not plist or not w:
                continue
            for i, freq in plist:
                if members is None or i in members:
                    out[i] += w * freq * (k1 + 1) / (freq + k1 * (1 - b + b * self.lengths[i] / avg))
        return out

    def idf_by_group(self, groups: Sequence[str | None]) -> dict[str, tuple[frozenset[int], dict[str, float]]]:
        """Per group (the matter of each document): its documents and the inverse document frequency
        over them only, in one pass over the postings."""
        members: dict[str, set[int]] = defaultdict(set)
        for i, g in enumerate(groups):
            if g:
                members[g].add(i)
        df: dict[str, Counter[str]] = defaultdict(Counter)
        for term, plist in self.postings.items():
            for i, _ in plist:
                if groups[i]:
                    df[groups[i]][term] += 1
        out = {}
        for g, ids in members.items():
            n = len(ids)
            out[g] = (frozenset(ids), {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df[g].items()})
        return out


class BM25Index:
    """Okapi BM25 over weighted article fields, with an inverted index."""

    def __init__(self, articles: Iterable[Article], k1: float = 1.2, b: float = 0.75):
        self.articles: list[Article] = list(articles)
        add_words(w for a in self.articles for w in (*a.aliases, a.matter_name) if 1 < len(w) <= 12)
        self.k1, self.b = k1, b
        self.by_id = {a.id: i for i, a in enumerate(self.articles)}
        tfs = [_weighted_terms(a) for a in self.articles]
        self._all = _Postings([tf for tf, _ in tfs], k1, b)
        self._own = _Postings([own for _, own in tfs], k1, b)
        self.postings, self.idf = self._all.postings, self._all.idf
        self.matters = sorted({a.matter for a in self.articles if a.matter})
        self._matter_stats = self._own.idf_by_group([a.matter for a in self.articles])
        self.term_matters, self.term_core = self._spread()
        # the last matter ranking: a turn asks it for the same text from several places (alias, model, follow-up)
        self._last_matters: tuple[tuple[str, int], list[tuple[str, float]]] | None = None

    def _spread(self) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
        """Per term: the matters whose articles hold it, and those where at least half of them do
        (only for terms held by at most a third of the matters). Paraphrases do not count: their
        everyday filler (明天, 问问, 楼下) would tell a matter the article's own text does not name."""
        sizes = Counter(a.matter for a in self.articles if a.matter)
        written = [_written_terms(a) for a in self.articles]
        anywhere: dict[str, frozenset[str]] = {}
        core: dict[str, frozenset[str]] = {}
        for term, plist in self.postings.items():
            counts = Counter(m for m in (self.articles[i].matter for i, _ in plist if term in written[i]) if m)
            anywhere[term] = frozenset(counts)
            if 3 * len(counts) <= len(sizes):  # a word of a third of the matters (证件) tells none
                core[term] = frozenset(m for m, c in counts.items() if 2 * c >= sizes[m])
        return anywhere, core

    def __len__(self) -> int:
        return len(self.articles)

    def get(self, article_id: str) -> Article | None:
        i = self.by_id.get(article_id)
        return None if i is None else self.articles[i]

    def terms(self, query: str) -> list[str]:
        """Query tokens; a token unknown to the index (要刻章, 交五险) brings the index words inside it."""
        out = tokenize(query)
        for tok in [t for t in out if len(t) >= 3 and t not in self.postings]:
            inner = {tok[i:j] for i in range(len(tok)) for j in range(i + 2, len(tok) + 1)
                     if tok[i:j] != tok and tok[i:j] in self.postings}
            out += sorted(w for w in inner if not any(w != o and w in o for o in inner))
        return out

    def scores(self, terms: Sequence[str], within_matter: bool = False) -> dict[int, float]:
        """Raw BM25 score of every article sharing a term with the query; `within_matter` leaves out the
        matter-wide fields (aliases), which add the same to every article of a matter and so flatten
        the differences between them (a compound alias such as 老年综合津贴 named in the question)."""
        return (self._own if within_matter else self._all).scores(terms)

    def scores_in_matter(self, terms: Sequence[str], matter: str) -> dict[int, float]:
        """BM25 of the articles of `matter` with the inverse document frequency of that matter's articles
        (their own fields, not the aliases): a word every article of the matter holds (生育津贴 in each
        article of maternity benefit) says nothing about which of them answers, while a word of one
        (流产) says much."""
        stats = self._matter_stats.get(matter)
        return self._own.scores(terms, stats[1], stats[0]) if stats else {}

    def search(
        self,
        query: str,
        *,
        matter: str | None = None,
        matters: Sequence[str] | None = None,
        aspect: str | None = None,
        aspect_bonus: float = 0.5,
        platform: bool | None = None,
        limit: int = 5,
    ) -> list[Hit]:
        """Rank articles for a query.

        `matter` / `matters` restrict to those matters; `platform=True` restricts to
        platform-tech articles (matter null), `False` excludes them. An article of the
        wanted `aspect` gets `aspect_bonus` times the best score on top (and is found
        even when no word matches), so the asked aspect wins unless a more specific
        article (e.g. a FAQ) matches clearly better.
        """
        allowed = set(matters or ()) | ({matter} if matter else set())

        def keep(a: Article) -> bool:
            if allowed and a.matter not in allowed:
                return False
            if platform is True and a.matter is not None:
                return False
            return not (platform is False and a.matter is None)

        raw = {i: s for i, s in self.scores(self.terms(query)).items() if keep(self.articles[i])}
        if aspect:
            top = max(raw.values(), default=0.0)
            bonus = max(aspect_bonus * top, 0.01)
            for i, art in enumerate(self.articles):
                if art.aspect == aspect and (allowed or platform) and keep(art):
                    raw[i] = raw.get(i, 0.0) + bonus
        ranked = sorted(raw.items(), key=lambda kv: (-kv[1], self.articles[kv[0]].id))[:limit]
        return [Hit(self.articles[i], s) for i, s in ranked if s > 0]

    def specific_terms(self, query: str, matter: str, max_matters: int = 3,
                       characteristic: bool = False) -> list[str]:
        """Query words (two characters or more) telling of `matter`: found in at most `max_matters`
        matters, or characteristic of it (in half its articles or more) and of at most `max_matters`.

        The second test keeps a matter's own words (发票, 员工, 体检) telling when the filled-in KB
        mentions them in passing under many other matters. `characteristic`: only the second test (a word
        one article mentions in passing, 大概 or 下个月, does not tell).
        """
        terms = [t for t in self.terms(query) if len(t) > 1]
        spreads = (self.term_core,) if characteristic else (self.term_matters, self.term_core)
        return [t for t in terms if any(matter in spread.get(t, ()) and len(spread[t]) <= max_matters
                                        for spread in spreads)]

    def matter_scores(self, query: str, top_k: int = 8) -> list[tuple[str, float]]:
        """Matters ranked by the summed score of their best articles for the query."""
        last = self._last_matters
        if last is not None and last[0] == (query, top_k):
            return list(last[1])
        sums: dict[str, float] = defaultdict(float)
        hits = sorted(self.scores(self.terms(query)).items(), key=lambda kv: -kv[1])[:top_k]
        for rank, (i, s) in enumerate(hits):
            m = self.articles[i].matter
            if m:
                sums[m] += s / (1 + 0.5 * rank)
        ranked = sorted(sums.items(), key=lambda kv: -kv[1])
        self._last_matters = ((query, top_k), ranked)
        return list(ranked)


class KBSearcher:
    """An index over the `kb_articles` collection that follows the KB revision.

    `fresh()` never makes a caller wait for a rebuild once an index exists: it checks
    the revision at most once per `check_interval_s` and rebuilds in the background,
    serving the previous index meanwhile. `refresh()` checks and rebuilds at once.
    """

    def __init__(self, store, check_interval_s: float = 1.0):
        self.store = store
        self.check_interval_s = check_interval_s
        self.index = BM25Index([])
        self.revision: object = None
        self._checked = 0.0
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None

    async def current_revision(self) -> object:
        doc = await self.store.kb_meta.find_one({"_id": REVISION_ID})
        return doc.get("rev") if doc else None

    def adopt(self, revision: object, index: BM25Index) -> None:
        """Use an index built elsewhere (e.g. at start-up) for `revision`; checked again as usual."""
        if not len(self.index):
            self.index, self.revision = index, revision

    async def reload(self) -> None:
        """Load every article and rebuild the index."""
        async with self._lock:
            revision = await self.current_revision()
            docs = await self.store.kb_articles.find({"status": {"$nin": list(INACTIVE)}}).to_list(None)
            index = await asyncio.to_thread(BM25Index, [Article.from_doc(d) for d in docs])
            self.index, self.revision = index, revision

    async def refresh(self) -> BM25Index:
        """Check the revision now and rebuild before returning when it changed."""
        self._checked = time.monotonic()
        if not len(self.index) or await self.current_revision() != self.revision:
            await self.reload()
        return self.index

    async def fresh(self) -> BM25Index:
        """The current index; starts a background rebuild when the revision changed."""
        if not len(self.index):
            return await self.refresh()
        now = time.monotonic()
        if now - self._checked < self.check_interval_s:
            return self.index
        self._checked = now
        revision = await self.current_revision()
        if revision != self.revision and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self.reload())
        return self.index

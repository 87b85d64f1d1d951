"""Article-level answer retrieval: which article of a matter answers the question itself.

Each article is scored on four signals, combined linearly:
- BM25 over its fields (the KB index), normalised by the best candidate;
- BM25 with the inverse document frequency of the matter's own articles (a word all of them
  hold tells none of them apart), normalised likewise;
- character uni- and bigram similarity of the question to the article's own questions: its
  `question`, `title` and the trainer-written `paraphrases` (the ranking's training data),
  each n-gram weighted by its inverse document frequency over the matter's articles;
- the probability that the question asks the article's aspect, from the NLU intent
  ranking blended with lexical cues (a signal, never a filter).
The winner's confidence is a softmax over the candidates' combined scores.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from kb.loader import Article
from kb.search import BM25Index
from kb.tokenize import normalize

ASPECT_INTENTS = {
    "ask_conditions": "conditions",
    "ask_materials": "materials",
    "ask_process": "process",
    "ask_fees": "fees",
    "ask_time_limit": "time_limit",
    "ask_progress": "progress",
    "ask_offline": "offline",
}
# Whether one may claim or apply at all: the conditions answer it, not the amounts (能不能领, 我可以申请吗, 能领不).
ELIGIBLE = ("能不能(?:领|申请|申领|享受|拿|吃|办)|(?:能|可以)(?:领|申请|申领|享受|吃)(?:吗|伐|不|么)"
            "|(?:我|他|她|老人|孩子)(?:能|可以)(?:领|申请|申领|享受)")
# Lexical cues for the asked aspect: blended with the NLU probabilities, never alone.
ASPECT_CUES = {
    "time_limit": re.compile("多久|几天|多长时间|到账|什么时候|时限|多少天|工作日|期限|截止|多快|几个月|审多久"),
    "fees": re.compile("多少钱|费用|收费|要钱|免费|手续费|工本费|花多少|交钱|付费"),
    "materials": re.compile("材料|资料|带什么|准备什么|证件|要带|提供什么|复印件|原件|要交什么"),
    "conditions": re.compile("条件|符合|资格|要求|够不够|哪些人|什么人|谁能|谁可以"
                             # session 10: whether one may claim it at all (能不能领, 我能申请吗, 能领不)
                             f"|{ELIGIBLE}"),
    "process": re.compile("怎么办|怎么弄|流程|步骤|网上办|手机上|怎么申请|如何申请|哪里操作|入口|怎么操作|咋办|怎么提"
                          # asked indirectly (session 8): who does it, how many trips, where to tap
                          "|跑几趟|要跑几|哪里弄|在哪弄|哪里点|哪里约|在哪约|哪里申请|去哪申请|自己弄|自己办|自己去办"
                          "|自己申请|单位弄|单位办|公司弄|公司办|帮我弄|帮我办|帮我申请"
                          # session 9: who files it (报), the order of the steps, done from home without a trip
                          "|自己报|单位报|公司报|帮我报|帮忙报|个人报|第一步|顺序|先弄|来回跑|跑好几|跑几次|搞定|不用去|不去派出所"
                          "|不想跑|在家里就|网上交|网上弄|电脑上"
                          # session 10: where one applies or books, and how one starts (在哪申请, 到哪申请, 怎么约)
                          "|哪(?:里|儿)?(?:去)?(?:申请|申领|预约|报名|提交)|从哪(?:里|儿|一步)?开始|怎么(?:约|预约|报名|申领|开始)"),
    "progress": re.compile("进度|到哪一步|审核结果|查询结果|办好了没|状态|查不到结果|审到哪"),
    "offline": re.compile("窗口|现场|线下|地址|网点|去哪拿|去哪领|去哪里办|大厅|哪里领|哪里拿|在哪(?:里|儿)?办"
                          # session 9: asked as a place to go in person
                          "|当面|柜台|跑去|跑到|跑哪|去哪个(?:区|中心|窗口|大厅|厅|派出所|地方|网点|点)|去什么地方|都在哪|直接去|去哪(?:里|儿)?(?:交|办|开|递)"),
}
# Can't or won't do it online (不会用手机, 手机上弄不来): the way in person is asked, not the online steps.
NOT_ONLINE = re.compile("不会(?:用|弄|操作)?(?:手机|APP|app|电脑|网上)|(?:手机|APP|app|网上)上?(?:弄|搞|用)?不来"
                        "|弄不来|搞不来|不想(?:在|用)?(?:手机|网上|APP|app)|不用手机")
# What a question asks for (session 10): an amount or a time. A FAQ asking one (考一个证能补贴多少钱) does not
# answer an eligibility question (技能补贴我能领不) that shares only its scene's words.
FORMS = {
    "amount": re.compile("多少(?!天|时间)|几(?:万|千|块|元|次|倍|级)"),
    "time": re.compile("多久|多长时间|什么时候|几天|几个月|哪天|多快|何时"),
}
ELIGIBLE_RX = re.compile(ELIGIBLE)
# Everyday words mapped to the KB's, for the similarity only (longest first).
SYNONYMS = (
    ("小孩子", "孩子"), ("小孩", "孩子"), ("宝宝", "孩子"), ("新生儿", "孩子"), ("掉了", "丢了"),
    ("遗失", "丢了"), ("弄丢", "丢了"), ("不记得", "忘了"), ("忘记", "忘了"), ("多长时间", "多久"),
    ("几天", "多久"), ("要不要钱", "要钱吗"), ("收不收钱", "要钱吗"), ("收费吗", "要钱吗"), ("咋", "怎么"),
    ("十五年", "15年"), ("没满", "不满"), ("老公", "配偶"), ("老婆", "配偶"), ("爸妈", "父母"),
    # Shanghainese and colloquial words (session 8): 伐 ends a yes/no question, 哪能 asks how, 弄/搞 do
    ("哪能", "怎么"), ("伐", "吗"), ("弄", "办"), ("搞", "办"), ("啥", "什么"),
)
# Chosen on the dev questions (5-fold cross-validated, session 7): BM25 over the whole KB and within the
# matter, the similarity with n-gram weights within the matter, the asked aspect.
W_BM25, W_BM25_MATTER, W_SIM, W_ASPECT = 0.25, 0.25, 2.0, 0.9
W_FORM = 0.7  # session 10: an eligibility question against a FAQ asking an amount or a time (`form_mismatch`)
GENERAL_TO_PROCESS = 0.5  # share of a general question's probability credited to the process article
FAQ_PRIOR = 0.3  # aspect probability credited to a FAQ (it answers no single aspect)
TEMPERATURE = 6.0


@dataclass(frozen=True)
class Signals:
    """The signals of one candidate article for a question."""

    bm25: float  # KB-wide BM25, normalised by the best candidate
    bm25_matter: float  # BM25 with the matter's own inverse document frequency, normalised likewise
    sim: float  # n-gram similarity to the article's own questions
    aspect: float  # probability that the question asks the article's aspect (a FAQ: a prior)
    form: float = 0.0  # -1: an eligibility question, the FAQ's own question asks an amount or a time


def combine(sig: Signals) -> float:
    """The linear combination of an article's signals."""
    return (W_BM25 * sig.bm25 + W_BM25_MATTER * sig.bm25_matter + W_SIM * sig.sim + W_ASPECT * sig.aspect
            + W_FORM * sig.form)


def forms(text: str) -> frozenset[str]:
    """What the text asks for: an amount, a time (`FORMS`)."""
    return frozenset(f for f, rx in FORMS.items() if rx.search(text))


def form_mismatch(text: str, asked: frozenset[str], article: Article) -> float:
    """-1 when the question asks whether one may claim it (能不能领, 我能申请吗) but no amount or time, and the
    article's own question asks how much or how long (考一个证能补贴多少钱): it shares the scene, not the ask."""
    if asked or not ELIGIBLE_RX.search(text):
        return 0.0
    return -1.0 if _article_forms(article) else 0.0


@dataclass(frozen=True)
class Ranked:
    """A candidate article with its combined score and softmax confidence."""

    article: Article
    score: float
    confidence: float


def aspect_probs(text: str, ranking: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Probability of each aspect: NLU ask_* probabilities (renormalised) blended with cues."""
    nlu = {ASPECT_INTENTS[n]: p for n, p in ranking if n in ASPECT_INTENTS}
    general = sum(p for n, p in ranking if n == "ask_matter")
    nlu["process"] = nlu.get("process", 0.0) + GENERAL_TO_PROCESS * general  # a general question: how to do it
    total = sum(nlu.values())
    nlu = {a: p / total for a, p in nlu.items()} if total > 0 else {}
    cues = {a for a, rx in ASPECT_CUES.items() if rx.search(text)}
    if NOT_ONLINE.search(text):
        cues = (cues - {"process"}) | {"offline"}
    cue_p = {a: 1.0 / len(cues) for a in cues}
    if not nlu and not cue_p:
        return {"process": 0.4}  # a bare question about a matter: how to do it
    nlu_w = 0.6 if cue_p else 1.0
    return {a: nlu_w * nlu.get(a, 0.0) + (1 - nlu_w) * cue_p.get(a, 0.0) for a in (*ASPECT_INTENTS.values(),)}


def _grams(text: str) -> frozenset[str]:
    """Character unigrams and bigrams of the normalised text, everyday words folded to the KB's."""
    t = re.sub(r"[\W_]+", "", normalize(text))
    for word, canonical in SYNONYMS:
        t = t.replace(word, canonical)
    return frozenset(t) | frozenset(t[i : i + 2] for i in range(len(t) - 1))


@lru_cache(maxsize=4096)
def _article_forms(article: Article) -> frozenset[str]:
    return forms(article.question or "")


@lru_cache(maxsize=4096)
def _article_grams(article: Article) -> tuple[frozenset[str], ...]:
    texts = [article.question, article.title, *getattr(article, "paraphrases", ())]
    return tuple(_grams(t) for t in texts if t)


def similarity(question: str, article: Article, matter_words: Sequence[str] = (),
               idf: dict[str, float] | None = None, sizes: dict[frozenset[str], float] | None = None) -> float:
    """Best Dice coefficient of the question's character uni- and bigrams against the article's own
    questions; with `idf`, each n-gram weighs its inverse document frequency (流产 counts, 能领 hardly,
    one no article of the matter holds nothing);
    `sizes` memoises the weights of the articles' n-gram sets."""
    q = question
    for w in matter_words:  # the matter's name says nothing about which article answers
        q = q.replace(w, "")
    qg = _grams(q)
    if not qg:
        return 0.0
    # An n-gram none of the matter's articles holds weighs nothing: it tells no article apart, and counted
    # it would shrink every similarity of a long, rambling question until its aspect alone decides.
    weight = (lambda gs: sum(idf.get(g, 0.0) for g in gs)) if idf else len
    memo = sizes if sizes is not None else {}
    wq = weight(qg)
    best = 0.0
    for g in _article_grams(article):
        shared = qg & g
        if shared:
            wg = memo.get(g)
            if wg is None:
                wg = memo[g] = weight(g)
            best = max(best, 2 * weight(shared) / (wq + wg))
    return best


def gram_idf(articles: Sequence[Article]) -> dict[str, float]:
    """Inverse document frequency of the n-grams of the articles' own questions (an article = a document)."""
    df: dict[str, int] = {}
    for a in articles:
        for g in frozenset().union(*_article_grams(a)):
            df[g] = df.get(g, 0) + 1
    n = len(articles) or 1
    return {g: math.log(1 + n / c) for g, c in df.items()}


def gram_idf_by_matter(articles: Sequence[Article]) -> dict[str | None, dict[str, float]]:
    """`gram_idf` over the articles of each matter: an n-gram every article of the matter holds (生育 in
    maternity benefit) weighs little, one of a single article (流产) much."""
    groups: dict[str | None, list[Article]] = {}
    for a in articles:
        groups.setdefault(a.matter, []).append(a)
    return {m: gram_idf(arts) for m, arts in groups.items()}


class ArticleRanker:
    """Ranks the articles of one or more matters against a question."""

    def __init__(self, index: BM25Index):
        self.index = index
        self.idf = gram_idf_by_matter(index.articles)
        self._sizes: dict[str | None, dict[frozenset[str], float]] = {}

    def features(self, text: str, matters: Sequence[str], probs: dict[str, float],
                 matter_words: Sequence[str] = ()) -> list[tuple[Article, Signals]]:
        """Every article of `matters` with its signals for the question."""
        wanted = set(matters)
        cands = [i for i, a in enumerate(self.index.articles) if a.matter in wanted]
        if not cands:
            return []
        terms = self.index.terms(text)
        raw = self.index.scores(terms, within_matter=True)
        own: dict[int, float] = {}
        for m in wanted:
            own.update(self.index.scores_in_matter(terms, m))
        top = max((raw.get(i, 0.0) for i in cands), default=0.0) or 1.0
        top_own = max(own.values(), default=0.0) or 1.0
        out, asked = [], forms(text)
        for i in cands:
            art = self.index.articles[i]
            idf, sizes = self.idf.get(art.matter, {}), self._sizes.setdefault(art.matter, {})
            out.append((art, Signals(
                bm25=raw.get(i, 0.0) / top,
                bm25_matter=own.get(i, 0.0) / top_own,
                sim=similarity(text, art, matter_words, idf, sizes),
                aspect=probs.get(art.aspect, FAQ_PRIOR if art.aspect == "faq" else 0.0),
                form=0.0 if art.aspect in ASPECT_INTENTS.values() else form_mismatch(text, asked, art),
            )))
        return out

    def rank(
        self,
        text: str,
        matters: Sequence[str],
        probs: dict[str, float],
        matter_words: Sequence[str] = (),
        limit: int = 3,
    ) -> list[Ranked]:
        """The best `limit` articles of `matters` for the question, with confidences."""
        feats = self.features(text, matters, probs, matter_words)
        if not feats:
            return []
        scored = [(combine(sig), art) for art, sig in feats]
        scored.sort(key=lambda sa: (-sa[0], sa[1].id))
        exps = [math.exp(TEMPERATURE * (s - scored[0][0])) for s, _ in scored]
        z = sum(exps)
        return [Ranked(a, s, e / z) for (s, a), e in zip(scored[:limit], exps[:limit], strict=False)]

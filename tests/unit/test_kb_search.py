"""BM25 retrieval: ranking, filters, aspect preference, and revision-driven reload (speed: bench/kb_search.py)."""

from __future__ import annotations

from kb.search import BM25Index, KBSearcher
from tests.unit.kb_fixtures import article, real_index

ARTICLES = [
    article(
        "housing-fund-withdrawal.materials",
        "materials",
        "住房公积金提取需要的材料",
        "身份证和银行卡",
        aliases=("提公积金",),
        matter_name="住房公积金提取",
    ),
    article(
        "housing-fund-withdrawal.time_limit",
        "time_limit",
        "住房公积金提取多久到账",
        "一般3个工作日到账",
        aliases=("提公积金",),
        matter_name="住房公积金提取",
    ),
    article(
        "housing-fund-withdrawal.faq.01",
        "faq",
        "租房提取公积金每月额度",
        "每月可提取租金",
        question="租房每月能提多少公积金",
        matter_name="住房公积金提取",
    ),
    article(
        "social-security-card.materials",
        "materials",
        "社保卡补办需要的材料",
        "身份证",
        aliases=("社保卡",),
        matter_name="社会保障卡申领与补换",
    ),
    article("platform-tech.sms-code", "tech", "收不到短信验证码", "检查手机拦截设置"),
]


def test_ranks_the_matching_article_first():
    idx = BM25Index(ARTICLES)
    hits = idx.search("社保卡补办要带什么材料")
    assert hits[0].article.id == "social-security-card.materials"


def test_matter_filter_and_aspect_bonus():
    idx = BM25Index(ARTICLES)
    hits = idx.search("要多久", matter="housing-fund-withdrawal", aspect="time_limit")
    assert hits[0].article.id == "housing-fund-withdrawal.time_limit"
    assert {h.article.matter for h in hits} == {"housing-fund-withdrawal"}
    # the aspect article is found even when no word matches
    hits = idx.search("咋整", matter="housing-fund-withdrawal", aspect="materials")
    assert hits[0].article.id == "housing-fund-withdrawal.materials"


def test_a_specific_faq_beats_the_generic_aspect_article():
    idx = BM25Index(ARTICLES)
    hits = idx.search("租房每月能提多少公积金", matter="housing-fund-withdrawal", aspect="materials")
    assert hits[0].article.id == "housing-fund-withdrawal.faq.01"


def test_platform_filter():
    idx = BM25Index(ARTICLES)
    assert [h.article.id for h in idx.search("验证码收不到", platform=True)] == ["platform-tech.sms-code"]
    assert all(h.article.matter for h in idx.search("验证码收不到", platform=False))


def test_matter_scores_pick_the_matter():
    idx = real_index()
    assert idx.matter_scores("租房提取公积金每个月能取多少")[0][0] == "housing-fund-withdrawal"


class FakeCollection:
    def __init__(self, docs):
        self.docs = docs

    async def find_one(self, query):
        return next((d for d in self.docs if d["_id"] == query["_id"]), None)

    def find(self, query):
        docs = self.docs

        class Cursor:
            async def to_list(self, n):
                return list(docs)

        return Cursor()


class FakeStore:
    def __init__(self):
        self.kb_meta = FakeCollection([{"_id": "revision", "rev": 1}])
        self.kb_articles = FakeCollection(
            [
                {
                    "_id": "a.materials",
                    "matter": "a",
                    "aspect": "materials",
                    "title": "甲事项材料",
                    "answer": "旧答案",
                },
            ]
        )


async def test_searcher_reloads_when_the_revision_changes():
    store = FakeStore()
    searcher = KBSearcher(store, check_interval_s=0.0)
    idx = await searcher.fresh()  # first load waits
    assert idx.get("a.materials").answer == "旧答案"
    store.kb_articles.docs[0]["answer"] = "新答案"
    assert (await searcher.refresh()).get("a.materials").answer == "旧答案"  # same revision: no reload
    store.kb_meta.docs[0]["rev"] = 2
    # fresh() keeps serving the old index and rebuilds in the background
    assert (await searcher.fresh()).get("a.materials").answer == "旧答案"
    await searcher._task
    assert (await searcher.fresh()).get("a.materials").answer == "新答案"
    store.kb_articles.docs[0]["answer"] = "第三版"
    store.kb_meta.docs[0]["rev"] = 3
    assert (await searcher.refresh()).get("a.materials").answer == "第三版"


def test_a_named_alias_does_not_flatten_the_ranking_within_its_matter():
    """An alias is in every article of its matter (the aliases field): within the matter only the
    articles whose own text names it score on it, its sub-words still count (issue 16)."""
    common = {"aliases": ("老年综合津贴", "老人津贴"), "matter_name": "老年综合津贴申领"}
    idx = BM25Index([
        article("elderly-allowance.process", "process", "老年综合津贴网上申领步骤", "在随申办提交", **common),
        article("elderly-allowance.faq.01", "faq", "敬老卡丢了怎么办", "补办敬老卡后照常发放", **common),
    ])
    process, faq = idx.by_id["elderly-allowance.process"], idx.by_id["elderly-allowance.faq.01"]
    assert {process, faq} <= set(idx.scores(["老年综合津贴"]))  # the matter is found from either article
    within = idx.scores(["老年综合津贴"], within_matter=True)
    assert within.get(process, 0) > 0 and faq not in within
    assert faq in idx.scores(["津贴"], within_matter=True)  # the alias's words still tell its matter's articles


def test_a_word_only_in_paraphrases_tells_no_matter():
    # paraphrases are searched, but their everyday filler (明天) must not make a word telling of a matter
    arts = [
        article("no-criminal-record-certificate.process", "process", "无犯罪记录证明怎么开", "在随申办申请",
                paraphrases=("明天就要用无犯罪证明 来得及吗", "开个无犯罪证明")),
        article("id-card-renewal.process", "process", "身份证怎么补办", "到派出所办理"),
    ]
    index = BM25Index(arts)
    assert index.search("明天要用无犯罪证明")[0].article.matter == "no-criminal-record-certificate"
    assert index.specific_terms("明天去迪士尼人多不多", "no-criminal-record-certificate") == []
    assert index.specific_terms("无犯罪证明怎么开", "no-criminal-record-certificate")


def test_within_a_matter_a_word_all_its_articles_hold_tells_none_apart():
    idx = BM25Index(ARTICLES)
    matter = "housing-fund-withdrawal"
    scores = idx.scores_in_matter(idx.terms("租房公积金"), matter)
    assert max(scores, key=scores.get) == idx.by_id["housing-fund-withdrawal.faq.01"]
    assert {idx.articles[i].matter for i in scores} == {matter}
    shared = idx.scores_in_matter(["公积金"], matter)  # in every article of the matter
    own = idx.scores_in_matter(["租房"], matter)  # in one of them
    assert max(shared.values()) < 0.5 * max(own.values())
    assert idx.scores_in_matter(["租房"], "no-such-matter") == {}


def test_the_last_matter_ranking_is_reused_and_callers_get_their_own_list():
    idx = BM25Index(real_index().articles)
    first = idx.matter_scores("公积金提取要什么材料")
    calls = []
    idx.scores = lambda *a, **kw: calls.append(a) or {}  # a second ranking of the same text must not score again
    again = idx.matter_scores("公积金提取要什么材料")
    assert again == first and again is not first and calls == []
    again.clear()
    assert idx.matter_scores("公积金提取要什么材料") == first  # a caller's change does not reach the memo
    assert idx.matter_scores("居住证怎么办") == [] and calls  # another text is scored (here by the stub)

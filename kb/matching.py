"""Detect the catalogue matter in free text from names and colloquial aliases.

A backup to the NLU `matter` entity: every alias of the KB files and the
catalogue name (with and without its parenthesised part) point to a matter.
Longer matches win over their substrings ("公积金贷款" over "公积金"); an alias
shared by several matters yields several candidates, left to retrieval to break.
A long alias also counts when most of its words occur apart ("退休了公积金能提吗"
for 退休提取公积金), scored by the characters it covers, so that a specific alias
outweighs a generic matter word of another matter (退休).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kb.tokenize import normalize, parts

_PAREN = re.compile(r"[（(][^）)]*[）)]")
_QUOTES = str.maketrans("", "", "“”\"'‘’")
FUZZY_COVER = 0.6  # share of a long alias's characters its words must cover when they occur apart
FUZZY_WEIGHT = 0.9
# Words of many matters' aliases that say nothing about which matter (not enough for a fuzzy match)
GENERIC_WORDS = frozenset(
    "申请 办理 查询 手续 流程 材料 登记 时候 多久 补办 领取 申领 需要 条件 网上 线上 上海 时间 费用".split()
)


def name_variants(name: str) -> set[str]:
    """Searchable forms of a catalogue name: as is, without brackets or quotes, the bracketed parts."""
    plain = name.translate(_QUOTES)
    out = {plain, _PAREN.sub("", plain)}
    for inner in re.findall(r"[（(]([^）)]*)[）)]", plain):
        out.update(p for p in re.split(r"[、，,]", inner) if len(p) >= 4)
    stripped = _PAREN.sub("", plain)
    if stripped.startswith("上海市"):
        out.add(stripped[3:])
    return {normalize(v.strip()) for v in out if len(v.strip()) >= 2}


@dataclass(frozen=True)
class MatterMatch:
    """Matters found in a text, best first, with the matched phrases."""

    candidates: list[tuple[str, float]]
    phrases: list[str]

    @property
    def best(self) -> str | None:
        """The single best matter, or None when absent or tied."""
        if not self.candidates:
            return None
        if len(self.candidates) > 1 and self.candidates[1][1] >= self.candidates[0][1]:
            return None
        return self.candidates[0][0]


class MatterMatcher:
    """Alias index: phrase -> matters."""

    def __init__(self, entries: Iterable[tuple[str, str]]):
        self.phrases: dict[str, set[str]] = defaultdict(set)
        for matter, phrase in entries:
            p = normalize(phrase.strip())
            if len(p) >= 2:
                self.phrases[p].add(matter)
        self._ordered = sorted(self.phrases, key=len, reverse=True)
        self._words = {p: [w for w in parts(p) if len(w) >= 2] for p in self.phrases if len(p) >= 5}

    @classmethod
    def from_sources(cls, names: dict[str, str], aliases: dict[str, Iterable[str]]) -> MatterMatcher:
        """Build from catalogue names (matter -> name) and KB aliases (matter -> aliases)."""
        entries = [(m, v) for m, n in names.items() for v in name_variants(n)]
        entries += [(m, a) for m, al in aliases.items() for a in al]
        return cls(entries)

    def match(self, text: str) -> MatterMatch:
        """Scan the text for phrases, longest first, without overlaps."""
        t = normalize(text)
        taken = [False] * len(t)
        scores: dict[str, float] = defaultdict(float)
        found: list[str] = []
        for phrase in self._ordered:
            start = t.find(phrase)
            while start >= 0:
                end = start + len(phrase)
                if not any(taken[start:end]):
                    for i in range(start, end):
                        taken[i] = True
                    found.append(phrase)
                    owners = self.phrases[phrase]
                    for m in owners:
                        scores[m] += len(phrase) / len(owners)
                start = t.find(phrase, end)
        for phrase, fuzzy in self._fuzzy(t, set(found)).items():
            for m in self.phrases[phrase]:
                scores[m] = max(scores[m], fuzzy / len(self.phrases[phrase]))
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return MatterMatch(ranked, found)

    def _fuzzy(self, t: str, exact: set[str]) -> dict[str, float]:
        """Long aliases whose words occur apart in the text, with their scores."""
        out: dict[str, float] = {}
        for phrase, ws in self._words.items():
            if phrase in exact or len(ws) < 2:
                continue
            hit = [w for w in ws if w in t]
            covered = sum(len(w) for w in hit)
            telling = [w for w in hit if w not in GENERIC_WORDS]
            if len(telling) >= 2 and covered >= FUZZY_COVER * len(phrase):
                out[phrase] = FUZZY_WEIGHT * covered
        return out


# Colloquial names the bot knows besides the KB `aliases` (kept unambiguous: one matter each).
EXTRA_ALIASES: dict[str, list[str]] = {
    "residence-permit": ["居住证", "居住证签注", "办居住证", "居住证续签", "居住证到期", "上海居住证"],
    "residence-points": ["居住证积分", "积分", "积分申请", "积分续办", "120分"],
    "social-security-card": ["社保卡", "社保卡补办", "补办社保卡", "社会保障卡", "社保卡丢了", "换社保卡"],
    "housing-fund-withdrawal": [
        "提公积金",
        "提取公积金",
        "公积金提取",
        "取公积金",
        "公积金提现",
        "提取住房公积金",
    ],
    "housing-fund-loan": ["公积金贷款", "公积金贷", "公积金买房贷款", "公积金房贷"],
    "medical-remote-filing": ["异地就医备案", "异地就医", "异地备案", "外地看病备案", "就医备案"],
    "medical-reimbursement": ["医保报销", "报销", "零星报销", "医药费报销", "医疗费报销"],
    "maternity-benefit": ["生育津贴", "生育保险", "产假工资", "生育金"],
    "birth-one-thing": ["报户口", "出生一件事", "出生医学证明", "新生儿落户", "新生儿报户口", "宝宝上户口"],
    "graduate-hukou": ["应届生落户", "应届毕业生落户", "毕业生落户", "应届生积分落户"],
    "talent-hukou": ["人才引进", "人才引进落户", "人才落户"],
    "returnee-hukou": ["留学生落户", "留学回国落户", "海归落户", "留学人员落户"],
    "unemployment-benefit": ["失业金", "失业保险金", "领失业金", "失业补助"],
    "retirement": ["退休", "办退休", "养老金", "退休金", "退休审批"],
    "flexible-employment": ["灵活就业", "灵活就业登记", "自己交社保", "个人交社保"],
    "drivers-license": ["驾照", "驾驶证", "驾照换证", "换驾照", "补驾照", "驾照补证"],
    "vehicle-registration": ["上牌", "新车上牌", "上牌照", "车辆登记", "挂牌"],
    "exit-entry-documents": ["护照", "港澳通行证", "台湾通行证", "办护照", "港澳签注"],
    "marriage-registration": ["结婚登记", "领证", "领结婚证", "结婚证"],
    "elderly-allowance": ["老年综合津贴", "老年津贴", "高龄津贴", "老人津贴"],
    "disability-certificate": ["残疾证", "残疾人证", "办残疾证"],
    "property-registration": ["二手房过户", "过户", "房产过户", "不动产登记", "房产证"],
    "school-enrollment": ["入学", "入学报名", "幼升小", "小升初", "义务教育报名", "小学报名"],
    "income-tax-settlement": ["个税汇算", "汇算", "个税年度汇算", "个税退税", "汇算清缴"],
    "company-registration": ["开公司", "注册公司", "营业执照", "办执照", "公司注册", "企业设立"],
    "company-startup-one-thing": ["企业开办一件事", "企业开办", "开办一件事", "一窗通"],
    "company-change": ["公司变更", "变更法人", "企业变更", "改公司名", "变更地址", "换法人"],
    "company-deregistration": ["公司注销", "注销", "企业注销", "注销公司", "简易注销"],
    "food-business-permit": ["食品经营许可证", "食品经营许可", "食品许可证", "餐饮许可证"],
    "invoice-application": ["领发票", "发票申领", "申领发票", "开发票", "领票"],
    "construction-permit": ["施工许可证", "施工许可", "建筑施工许可", "开工许可"],
    "employer-social-insurance": ["单位社保开户", "单位社保", "社保增员", "社保减员", "单位参保登记"],
    "employer-housing-fund": ["公积金开户", "单位公积金开户", "公积金缴存登记", "单位公积金", "公积金增员"],
    "foreign-work-permit": ["外国人工作许可", "工作许可", "外国人工作证", "老外工作许可", "外籍人员工作许可"],
    "public-venue-hygiene-permit": ["卫生许可证", "公共场所卫生许可", "卫生许可"],
}

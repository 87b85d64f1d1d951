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
ONE_THING = "一件事"
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


def listed_parts(name: str) -> set[str]:
    """The services a "一件事" name lists in brackets: its components, often matters of their own."""
    if ONE_THING not in name:
        return set()
    inner = "、".join(re.findall(r"[（(]([^）)]*)[）)]", name.translate(_QUOTES)))
    return {normalize(p.strip()) for p in re.split(r"[、，,]", inner) if len(p.strip()) >= 4}


def name_entries(names: dict[str, str], aliases: dict[str, Iterable[str]]) -> list[tuple[str, str]]:
    """(matter, phrase) for the variants of the catalogue names (matter -> name) and the aliases
    (matter -> aliases). A part listed in a "一件事" name is left out when another matter has it too
    (营业执照 in 开办运输企业“一件事”（营业执照、…） names company registration, not the one-thing)."""
    entries = [(m, v) for m, n in names.items() for v in name_variants(n)]
    entries += [(m, normalize(a.strip())) for m, al in aliases.items() for a in al]
    holders: dict[str, set[str]] = defaultdict(set)
    for m, p in entries:
        holders[p].add(m)
    listed = {(m, p) for m, n in names.items() for p in listed_parts(n)}
    return [(m, p) for m, p in entries if (m, p) not in listed or holders[p] == {m}]


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
        words = {p: [w for w in parts(p) if len(w) >= 2] for p in self.phrases if len(p) >= 5}
        # for `_fuzzy`: the long aliases of two words or more, in order, with their telling words; and where
        # each telling word occurs (once per occurrence), so a text is checked once per distinct word
        self._telling = [(p, [w for w in ws if w not in GENERIC_WORDS])
                         for p, ws in words.items() if len(ws) >= 2]
        self._aliases_of: dict[str, list[int]] = defaultdict(list)
        for i, (_, ws) in enumerate(self._telling):
            for w in ws:
                self._aliases_of[w].append(i)
        self._last: tuple[str, MatterMatch] | None = None

    @classmethod
    def from_sources(cls, names: dict[str, str], aliases: dict[str, Iterable[str]]) -> MatterMatcher:
        """Build from catalogue names (matter -> name) and KB aliases (matter -> aliases)."""
        return cls(name_entries(names, aliases))

    def match(self, text: str) -> MatterMatch:
        """Scan the text for phrases, longest first, without overlaps.

        A turn asks about its text about twice (resolver, brain): the last text's answer is kept (the
        phrases never change after construction) and handed out as a copy.
        """
        if self._last is None or self._last[0] != text:
            self._last = (text, self._match(text))
        known = self._last[1]
        return MatterMatch(list(known.candidates), list(known.phrases))

    def _match(self, text: str) -> MatterMatch:
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
        present = {w for w in self._aliases_of if w in t}
        hits: dict[int, int] = defaultdict(int)
        for w in present:
            for i in self._aliases_of[w]:
                hits[i] += 1
        for i in sorted(i for i, n in hits.items() if n >= 2):  # two telling words present at least
            phrase, ws = self._telling[i]
            if phrase in exact:
                continue
            telling = [w for w in ws if w in present]
            covered = sum(len(w) for w in telling)  # 上海 or 办理 do not make 外地社保转上海 of "外地人交社保"
            if len(telling) >= 2 and covered >= FUZZY_COVER * len(phrase):
                out[phrase] = FUZZY_WEIGHT * covered
        return out

"""Matter words typed in pinyin (or a few English words) read back as hanzi.

Citizens type pinyin when the IME gets in the way ("juzhuzheng办下来要几天", "geshui huisuan 几号截止").
`LatinReader` maps the toneless pinyin of the domain vocabulary the bot already has (the jieba user
dictionary, the matters' names and aliases and their words) to the hanzi term, computed with
`pypinyin` when the brain is built, and rewrites a Latin run of a question into hanzi when the run's
letters (spaces and apostrophes optional) segment completely into known terms, the longest terms
first. A run that does not segment is left as typed: ordinary English ("app", "pdf", "ok", "wifi")
stays. Space-separated words are read in groups, so a word that does not segment ("app diya") stays
while its neighbours are read. Besides pinyin, two short explicit tables: the initial-letter
abbreviations that are common for these matters (gjj 公积金) and a few English terms (work permit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice, product

from pypinyin import Style, lazy_pinyin, pinyin

from kb.tokenize import STOPWORDS, normalize, parts, userdict_path

# Common initial-letter abbreviations of matter words: only ones used as such on Chinese forums and
# unlikely to be anything else in a government-service question (not yb, sb, hk: too ambiguous)
ABBREVIATIONS = {
    "gjj": "公积金", "sbk": "社保卡", "sfz": "身份证", "jzz": "居住证", "hkb": "户口本", "rcyj": "人才引进",
}
# Words citizens type in pinyin that are no matter word of their own: the driving test's 科目三, the 无犯罪 of the
# no-criminal-record certificate
SPOKEN_TERMS = ("无犯罪", "科目一", "科目二", "科目三", "科目四")
ENGLISH = {
    "passport": "护照", "visa": "签证", "work permit": "工作许可", "working permit": "工作许可",
    "residence permit": "居住证", "social security card": "社保卡", "social security": "社保",
    "social insurance": "社保", "medical insurance": "医保", "health insurance": "医保",
    "housing fund": "公积金", "housing provident fund": "公积金", "provident fund": "公积金",
    "driver license": "驾驶证", "drivers license": "驾驶证", "driving license": "驾驶证",
    "driver licence": "驾驶证", "drivers licence": "驾驶证", "driving licence": "驾驶证",
    "id card": "身份证", "identity card": "身份证", "tax refund": "退税", "individual income tax": "个人所得税",
    "income tax": "个人所得税", "business license": "营业执照", "business licence": "营业执照",
    "foreigner": "外国人", "foreigners": "外国人", "marriage registration": "结婚登记",
    "birth certificate": "出生医学证明", "household register": "户口", "pension": "养老金",
}
_HANZI = re.compile(r"^[\u4e00-\u9fff]{2,}$")
_RUN = re.compile(r"[A-Za-zＡ-Ｚａ-ｚ]+(?:[ \u3000'’]+[A-Za-zＡ-Ｚａ-ｚ]+)*")
_APOSTROPHES = str.maketrans("", "", "'’")
MAX_READINGS = 8  # other readings of a term with several polyphones (长宁: changning besides zhangning)
MAX_GROUP = 6  # space-separated words read as one (ju zhu zheng ban li)
KEPT = 100  # cost of a word left as typed, against 1 per hanzi term


@dataclass(frozen=True)
class Piece:
    """A stretch of a Latin run: its hanzi reading, or the word as typed (`hanzi` False)."""

    text: str
    hanzi: bool


@lru_cache(maxsize=20000)  # a brain is built again on every KB revision, over nearly the same terms
def spell(term: str) -> tuple[str, ...]:
    """The toneless pinyin keys of a hanzi term (syllables joined; ü typed as v and as u), its usual
    reading first."""
    key = "".join(lazy_pinyin(term, style=Style.NORMAL, errors="ignore"))
    readings = pinyin(term, style=Style.NORMAL, heteronym=True, errors="ignore")
    keys = [key, *("".join(r) for r in islice(product(*readings), MAX_READINGS))]
    keys += [k.replace("v", "u") for k in keys if "v" in k]
    return tuple(dict.fromkeys(keys))


class LatinReader:
    """Toneless pinyin (and the explicit tables) -> hanzi term; rewrites the Latin runs of a text."""

    def __init__(self, terms: Iterable[str]):
        """`terms` in order of preference: an earlier term keeps a pinyin key a later one shares."""
        self.keys: dict[str, str] = {}
        spelled = [(t, spell(t)) for t in terms if _HANZI.match(t) and t not in STOPWORDS]
        for term, keys in spelled:  # every term's usual reading before any other reading
            self.keys.setdefault(keys[0], term)
        for term, keys in spelled:
            for key in keys[1:]:
                self.keys.setdefault(key, term)
        for table in (ABBREVIATIONS, ENGLISH):
            for key, term in table.items():
                self.keys[key.replace(" ", "")] = term
        self.longest = max((len(k) for k in self.keys), default=0)

    @classmethod
    def from_phrases(cls, phrases: Iterable[str]) -> LatinReader:
        """A reader over matter names and aliases (`phrases`), their words and the jieba user dictionary."""
        return cls([*vocabulary(phrases), *SPOKEN_TERMS, *ENGLISH.values()])

    def segment(self, letters: str) -> list[str] | None:
        """The fewest known terms whose keys make up `letters` exactly, or None."""
        best: list[tuple[int, list[str]] | None] = [None] * (len(letters) + 1)
        best[0] = (0, [])
        for end in range(1, len(letters) + 1):
            for start in range(max(0, end - self.longest), end):
                term = self.keys.get(letters[start:end])
                if term is not None and best[start] is not None:
                    cost, terms = best[start]
                    if best[end] is None or cost + 1 < best[end][0]:
                        best[end] = (cost + 1, [*terms, term])
        return best[-1][1] if best[-1] else None

    def read_run(self, run: str) -> list[Piece]:
        """A Latin run as pieces: groups of words read as hanzi, the other words as typed."""
        words = run.replace("\u3000", " ").split()
        plain = [normalize(w).translate(_APOSTROPHES) for w in words]
        best: list[tuple[int, list[Piece]] | None] = [None] * (len(words) + 1)
        best[0] = (0, [])
        for end in range(1, len(words) + 1):
            for start in range(max(0, end - MAX_GROUP), end):
                if best[start] is None:
                    continue
                terms = self.segment("".join(plain[start:end]))
                if terms is not None:
                    option = (best[start][0] + len(terms), [*best[start][1], Piece("".join(terms), True)])
                elif end - start == 1:
                    option = (best[start][0] + KEPT, [*best[start][1], Piece(words[start], False)])
                else:
                    continue
                if best[end] is None or option[0] < best[end][0]:
                    best[end] = option
        return best[-1][1] if best[-1] else [Piece(w, False) for w in words]

    def rewrite(self, text: str) -> str:
        """The text with its readable Latin runs in hanzi (the rest as typed)."""
        if not self.keys or not _RUN.search(text):
            return text
        return _RUN.sub(lambda m: _join(self.read_run(m.group(0))), text)


def vocabulary(phrases: Iterable[str]) -> list[str]:
    """The domain terms in order of preference: matter names and aliases (longest first), the jieba user
    dictionary (most frequent first), then the dictionary words inside the names and aliases."""
    phrases = sorted(set(phrases), key=lambda p: (-len(p), p))
    words = sorted({w for p in phrases for w in parts(p)}, key=lambda w: (-len(w), w))
    return [*phrases, *userdict_terms(), *words]


def _join(pieces: list[Piece]) -> str:
    """Pieces joined: hanzi next to hanzi without a space, a typed word apart from its neighbours."""
    out = ""
    for i, piece in enumerate(pieces):
        if i and not (piece.hanzi and pieces[i - 1].hanzi):
            out += " "
        out += piece.text
    return out


def userdict_terms() -> list[str]:
    """The words of the jieba user dictionary, most frequent first."""
    path = userdict_path()
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    freq = {r[0]: int(r[1]) if len(r) > 1 and r[1].isdigit() else 0 for r in rows}
    return sorted(freq, key=lambda w: (-freq[w], w))

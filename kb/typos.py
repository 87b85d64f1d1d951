"""Typos of matter words read back as the words: homophones typed by the IME and traditional characters.

Citizens pick the wrong character of the right sound ("结昏证要带什么", "公基金带款") or type traditional
characters ("契稅", "護照"). `TypoReader` rewrites such a text for matching, retrieval and ranking, the way
`kb.pinyin.LatinReader` reads pinyin; the typed text is kept for the handoff summary.

- Traditional characters: a short explicit table (characters of the domain vocabulary and common ones next
  to them), only characters that are never simplified characters themselves (not 著, 乾, 髮), applied to
  the whole text.
- Homophones: a stretch of hanzi whose toneless pinyin (any reading of each typed character) is that of a
  domain term (the vocabulary of `kb.pinyin.vocabulary`: matter names and aliases, the jieba user
  dictionary, the words inside the names) becomes the term when it is safe to read it so:
  the stretch differs in one character (two in terms of four or more), is not itself a dictionary word, no
  dictionary word crosses a differing character (还是 in 卡上还是: not 上海市; a word inside the stretch
  that keeps a character of the term may: 基金 in 公基金), no differing character is a function word
  (注册的 is not 注册地, 要考 not 约考), and a lone differing character is not a word joining or leading
  terms typed right (去公积金 is not 取公积金, 个人缴社保 not 个人交社保). Two-character terms are read only
  when they are matter names, aliases or user-dictionary words and the stretch is the whole text (护招 alone;
  next to a term, 落沪 in 留学生落沪 would have become 落户).
- Near forms (居往证) are not read: no safe rule was found (docs/bot.md, session 14, typos).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice, product

from pypinyin import Style, lazy_pinyin, pinyin

from kb.pinyin import userdict_terms, vocabulary
from kb.tokenize import STOPWORDS, is_word

# Traditional -> simplified, pairs written out: the characters of the matter vocabulary and a few common
# ones around them; only traditional forms that are not also simplified characters in their own right.
_PAIRS = (
    "稅税證证護护戶户險险結结辦办積积貸贷醫医療疗駕驾駛驶際际務务營营業业執执許许註注冊册記记號号碼码補补"
    "換换簽签遷迁轉转學学歷历費费養养報报銷销備备異异動动車车輛辆發发個个資资產产權权處处單单據据紙纸電电"
    "網网預预約约試试領领書书職职稱称勞劳聯联檔档關关開开無无錄录婦妇兒儿殘残貼贴還还額额購购買买賣卖過过"
    "續续審审檢检驗验質质監监環环評评衛卫藥药師师樂乐隊队場场會会議议計计劃划設设區区縣县鎮镇廳厅館馆絡络"
    "機机門门診诊價价課课麼么麽么嗎吗應应該该給给們们這这裡里裏里邊边時时間间問问題题請请謝谢說说話话難难"
    "滿满線线認认齡龄歲岁親亲屬属離离紀纪錢钱銀银撥拨從从來来對对樣样點点兩两寫写讀读懸悬島岛東东廣广蘇苏"
    "貿贸罰罚貨货專专屆届殯殡軍军匯汇"
)
TRADITIONAL = str.maketrans({_PAIRS[i]: _PAIRS[i + 1] for i in range(0, len(_PAIRS), 2)})
_HANZI = re.compile(r"^[\u4e00-\u9fff]{2,}$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_END = ""  # trie key of the term a path of syllables spells
# A typed character that is a function word is meant (注册的 is not 注册地, 要考 not 约考, 去公积金 not 取公积金);
# 一 is a numeral, typed for 异 (一地就医)
FUNCTION_CHARS = frozenset(w for w in STOPWORDS if len(w) == 1) - {"一"}
MAX_READINGS = 8  # readings of a term with several polyphones
MAX_WORD = 6  # longest dictionary word looked for across a differing character


@dataclass(frozen=True)
class Rewrite:
    """One homophone read as a term: text[start:end] -> term."""

    start: int
    end: int
    term: str


@lru_cache(maxsize=8000)
def readings(ch: str) -> frozenset[str]:
    """Every toneless reading of a hanzi (empty for anything else)."""
    if not _CJK.match(ch):
        return frozenset()
    return frozenset(r for rs in pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore") for r in rs)


@lru_cache(maxsize=20000)  # a brain is built again on every KB revision, over nearly the same terms
def syllables(term: str) -> tuple[tuple[str, ...], ...]:
    """The toneless syllables of a term: its usual reading first, then other readings of its polyphones."""
    usual = tuple(lazy_pinyin(term, style=Style.NORMAL, errors="ignore"))
    others = islice(product(*pinyin(term, style=Style.NORMAL, heteronym=True, errors="ignore")), MAX_READINGS)
    return tuple(dict.fromkeys([usual, *others]))


class TypoReader:
    """Domain terms by sound; rewrites homophone typos and traditional characters of a text."""

    def __init__(self, terms: Iterable[str], strong: Iterable[str] = ()):
        """`terms` in order of preference (an earlier term keeps a reading a later one shares); `strong`:
        the two-character terms that may be read from a homophone."""
        self.trie: dict = {}
        self.terms: set[str] = set()
        self.strong = frozenset(strong)
        for term in terms:
            if _HANZI.match(term) and term not in STOPWORDS and term not in self.terms:
                self.terms.add(term)
                for key in syllables(term):
                    if len(key) == len(term):
                        self._add(key, term)

    def _add(self, key: tuple[str, ...], term: str) -> None:
        node = self.trie
        for syllable in key:
            node = node.setdefault(syllable, {})
        node.setdefault(_END, term)

    @classmethod
    def from_phrases(cls, phrases: Iterable[str]) -> TypoReader:
        """A reader over matter names and aliases (`phrases`), their words and the jieba user dictionary;
        the strong two-character terms are the names, aliases and user-dictionary words."""
        phrases = set(phrases)
        strong = {t for t in (*phrases, *userdict_terms()) if len(t) == 2}
        return cls(vocabulary(phrases), strong=strong)

    def rewrite(self, text: str) -> str:
        """The text with traditional characters simplified and homophones of domain terms read as the terms."""
        text = text.translate(TRADITIONAL)
        out, last = [], 0
        for r in self.rewrites(text):
            out += [text[last:r.start], r.term]
            last = r.end
        return "".join(out) + text[last:] if out else text

    def rewrites(self, text: str) -> list[Rewrite]:
        """The accepted homophone rewrites of a text, without overlaps, longer terms first."""
        found = sorted(self.candidates(text), key=lambda r: (r.start - r.end, r.start))
        chosen: list[Rewrite] = []
        for r in found:
            if all(r.end <= c.start or c.end <= r.start for c in chosen) and self.accept(text, r):
                chosen.append(r)
        return sorted(chosen, key=lambda r: r.start)

    def candidates(self, text: str) -> list[Rewrite]:
        """Every stretch of the text that sounds like a term without being it."""
        found = []
        sounds = [readings(ch) for ch in text]
        for start in range(len(text) - 1):
            nodes = [self.trie]
            for end in range(start, len(text)):
                nodes = [n[s] for n in nodes for s in sounds[end] if s in n]
                if not nodes:
                    break
                for node in nodes:
                    term = node.get(_END)
                    if term and end > start and term != text[start : end + 1]:
                        found.append(Rewrite(start, end + 1, term))
        return found

    def accept(self, text: str, r: Rewrite) -> bool:
        """Whether reading text[r.start:r.end] as r.term is safe (see the module docstring)."""
        typed = text[r.start : r.end]
        diffs = [i for i, (a, b) in enumerate(zip(typed, r.term, strict=True)) if a != b]
        if len(diffs) > (2 if len(typed) >= 4 else 1) or is_word(typed):
            return False
        if any(typed[i] in FUNCTION_CHARS for i in diffs) or self._connector(typed, diffs):
            return False
        if any(self._word_across(text, r, r.start + i) for i in diffs):
            return False
        return len(typed) > 2 or self._two_char_context(text, r)

    def _connector(self, typed: str, diffs: list[int]) -> bool:
        """Whether the one differing character joins terms typed right, or stands before one: a word of
        its own (缴 in 个人缴社保 is not 交, 取 for 去 in 去公积金)."""
        if len(diffs) != 1:
            return False
        left, right = typed[: diffs[0]], typed[diffs[0] + 1 :]
        return right in self.terms and (not left or left in self.terms)

    def _word_across(self, text: str, r: Rewrite, pos: int) -> bool:
        """Whether a dictionary word of the text covers `pos`, other than a word inside the stretch that
        keeps one of the term's characters."""
        for a in range(max(0, pos - MAX_WORD + 1), pos + 1):
            for b in range(max(pos + 1, a + 2), min(len(text), a + MAX_WORD) + 1):
                if not is_word(text[a:b]):
                    continue
                inside = r.start <= a and b <= r.end
                if not (inside and any(text[i] == r.term[i - r.start] for i in range(a, b))):
                    return True
        return False

    def _two_char_context(self, text: str, r: Rewrite) -> bool:
        """A two-character term is read when it is strong and the stretch is all the hanzi of the text."""
        return r.term in self.strong and "".join(_CJK.findall(text)) == text[r.start : r.end]

"""Chinese tokenization for retrieval: jieba with the domain user dictionary.

One private `jieba.Tokenizer` per process (so the global jieba state of other
code is untouched), loaded lazily with `data/kb/userdict.txt` and any extra
words given at runtime (aliases from the knowledge base).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import jieba

from core.settings import get_settings

jieba.setLogLevel(logging.WARNING)

_STOP_TEXT = """
的 了 吗 呢 吧 啊 呀 嘛 哦 哈 么 是 我 你 他 她 它 我们 你们
在 有 和 与 及 或 就 都 也 还 又 要 想 请问 请 问 问下 问一下
一下 下 怎么 怎么样 怎样 如何 什么 啥 哪 哪里 哪儿 能 能不能 可以
可不可以 会 该 应该 得 需要 个 这个 那个 这 那 去 来 到 给 对 把
被 让 从 呗 啦 喽 嗯 哎 诶 不 没 没有 吗 么 几 多少 一 上 中
里 后 现在 已经 然后 还是 就是 但是 如果 因为 所以 自己 本人 我家
我的 您 您好 你好 谢谢 麻烦 帮 帮忙 帮我 一个
"""
STOPWORDS = frozenset(_STOP_TEXT.split())
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_extra: set[str] = set()


def userdict_path() -> Path:
    """Path of the domain user dictionary."""
    return get_settings().data_dir / "kb" / "userdict.txt"


def _get() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                tok = jieba.Tokenizer()
                path = userdict_path()
                if path.exists():
                    tok.load_userdict(str(path))
                for word in _extra:
                    tok.add_word(word, freq=1000)
                _tokenizer = tok
    return _tokenizer


def add_words(words: Iterable[str]) -> None:
    """Teach the tokenizer extra domain words (e.g. aliases read from the KB)."""
    new = {w.strip() for w in words if w and w.strip()} - _extra
    if not new:
        return
    _extra.update(new)
    if _tokenizer is not None:
        for word in new:
            _tokenizer.add_word(word, freq=1000)


def normalize(text: str) -> str:
    """Lower-case and turn full-width ASCII into half-width."""
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            code = 0x20
        elif 0xFF01 <= code <= 0xFF5E:
            code -= 0xFEE0
        out.append(chr(code))
    return "".join(out).lower()


def tokenize(text: str) -> list[str]:
    """Search tokens of a text: jieba search-mode words without stopwords and punctuation."""
    words = _get().cut_for_search(normalize(text))
    return [w for w in (w.strip() for w in words) if w and w not in STOPWORDS and not _PUNCT.match(w)]


def parts(phrase: str) -> list[str]:
    """The largest dictionary words inside a phrase (the phrase itself and stopwords excluded)."""
    t = normalize(phrase)
    subs = {w for w in _get().cut_for_search(t) if w.strip() and w != t}
    return [w for w in subs if w not in STOPWORDS and not any(w != o and w in o for o in subs)]


def is_word(text: str) -> bool:
    """Whether `text` is a word of the tokenizer's dictionary (jieba's, the user dictionary, added words)."""
    tok = _get()
    tok.check_initialized()
    return tok.FREQ.get(normalize(text), 0) > 0

"""Banned phrases of the service norms (禁语) for agent messages."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

_SKIP = re.compile(r"[\s\W_]+", re.UNICODE)


class BannedPhrases:
    def __init__(self, phrases: list[str]) -> None:
        self.phrases = sorted({p.strip() for p in phrases if p and p.strip()}, key=len, reverse=True)
        self._normed = [(p, _SKIP.sub("", p)) for p in self.phrases]

    @classmethod
    def load(cls, path: Path) -> BannedPhrases:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(list(data.get("phrases", [])))

    def find(self, text: str) -> str | None:
        """The first banned phrase in `text` (ignoring spaces and punctuation), or None."""
        flat = _SKIP.sub("", text)
        for phrase, normed in self._normed:
            if normed and normed in flat:
                return phrase
        return None

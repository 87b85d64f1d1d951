"""Masking of personal numbers (PIPL): resident ID numbers, mobile phone numbers and bank card numbers.

Applied where text leaves the conversation: logs, the unanswered ledger and what can flow from it into
training data. The conversation itself keeps the original for the agent serving the citizen.
"""

from __future__ import annotations

import re
from typing import Any

# 18-digit resident ID (身份证): 6-digit area, birth date 18xx-20xx, 3-digit sequence, check digit or X
_ID = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})"
                 r"([0-9Xx])(?![0-9A-Za-z])")
# bank cards: 16 to 19 digits, optionally grouped by spaces or hyphens
_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){15,18}(?!\d)")
# mainland mobile numbers, optionally with +86 / 86
_PHONE = re.compile(r"(?<!\d)((?:\+?86[ -]?)?1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")


def _card(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_pii(text: str) -> str:
    """`text` with ID numbers (`310***********123X`), bank cards (`****…1234`) and phones (`138****5678`) masked."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _ID.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(2)[-3:] + m.group(3), text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def mask_any(value: Any) -> Any:
    """`mask_pii` applied to every string inside `value` (dicts, lists and tuples are walked)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: mask_any(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_any(v) for v in value)
    return value


def has_pii(text: str) -> bool:
    """True when `text` holds a number `mask_pii` would mask."""
    return mask_pii(text) != text

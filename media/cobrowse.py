"""Co-browse privacy: scrub ID-card, mobile and bank-card numbers from rrweb events and shared forms.

The user's page masks sensitive fields itself (rrweb `maskInputOptions`, `data-sensitive`); this
module is the server's second line: it never trusts the client. It

- replaces every ID-card number (18 characters, plausible birth date, check digit 0-9/X), mainland
  mobile number (1[3-9] + 9 digits, optional +86 and separators) and bank-card number (16-19
  digits passing Luhn, or UnionPay 62...) in any string of the events with `*` of the same length;
- tracks the rrweb node ids of sensitive inputs (password/tel types, ID/bank/phone/code names,
  `data-sensitive` and everything under it) and masks their values, input events and text.
"""

from __future__ import annotations

import json
import re
from typing import Any

MASK = "*"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

ID_CARD_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])"
)
MOBILE_RE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9])")
CARD_RE = re.compile(r"(?<![0-9])\d(?:[ -]?\d){15,18}(?![0-9])")

SENSITIVE_WORDS = re.compile(
    r"pass|pwd|idcard|id_card|id-card|idno|id_no|certno|cert_no|sfz|身份证|证件|bank|card|卡号|银行|"
    r"phone|mobile|tel|手机|电话|验证码|otp|captcha|smscode|sms_code|cvv|cvc",
    re.IGNORECASE,
)
SENSITIVE_INPUT_TYPES = {"password", "tel"}
_VALUE_ATTRS = ("value", "title", "data-value", "checked", "selected")


def id_card_valid(number: str) -> bool:
    """True when the 18-character number has a correct ISO 7064 check digit."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _stars(match: re.Match) -> str:
    return re.sub(r"[0-9Xx+]", MASK, match.group(0))


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if luhn_valid(digits) or digits.startswith("62"):
        return _stars(match)
    return match.group(0)


def scrub_text(text: str) -> str:
    """The text with ID-card, bank-card and mobile numbers masked (structure-based, checksum or not:
    a mistyped ID number is as private as a correct one)."""
    if sum(ch.isdigit() for ch in text[:4096]) < 11 and len(text) <= 4096:
        return text
    text = ID_CARD_RE.sub(_stars, text)
    text = CARD_RE.sub(_card, text)
    return MOBILE_RE.sub(_stars, text)


def scrub_value(value: Any) -> Any:
    """Scrub every string inside a JSON value (dict keys are kept)."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, list):
        return [scrub_value(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub_value(v) for k, v in value.items()}
    return value


def _masked(value: Any) -> Any:
    return MASK * len(value) if isinstance(value, str) else value


def is_sensitive_element(tag: str, attributes: dict[str, Any]) -> bool:
    """Whether an element holds data the agent must not see."""
    if "data-sensitive" in attributes or "data-rr-masked" in attributes:
        return True
    tag = (tag or "").lower()
    if tag not in ("input", "textarea", "select"):
        return False
    if str(attributes.get("type", "")).lower() in SENSITIVE_INPUT_TYPES:
        return True
    for key in ("name", "id", "autocomplete", "placeholder", "aria-label", "inputmode"):
        value = attributes.get(key)
        if isinstance(value, str) and SENSITIVE_WORDS.search(value):
            return True
    return False


def strip_query(url: str) -> str:
    """A page address without query and fragment (the user page's carries the login token)."""
    return url.split("#", 1)[0].split("?", 1)[0]


class Scrubber:
    """Per co-browse session state: which rrweb node ids are sensitive."""

    def __init__(self) -> None:
        self.sensitive: set[int] = set()
        self.masked_values = 0

    # --- serialized node trees (full snapshot and mutation adds) ---

    def _walk(self, node: dict[str, Any], inherited: bool) -> None:
        node_id = node.get("id")
        attrs = node.get("attributes")
        sensitive = inherited
        if node.get("type") == 2 and isinstance(attrs, dict):
            sensitive = sensitive or is_sensitive_element(node.get("tagName", ""), attrs)
            if sensitive:
                for key in _VALUE_ATTRS:  # the placeholder (请输入身份证号) stays: it is a hint
                    if key in attrs:
                        attrs[key] = _masked(attrs[key])
                        self.masked_values += 1
        elif node.get("type") == 3 and sensitive and "textContent" in node:
            node["textContent"] = _masked(node["textContent"])
            self.masked_values += 1
        if sensitive and isinstance(node_id, int):
            self.sensitive.add(node_id)
        for child in node.get("childNodes") or ():
            if isinstance(child, dict):
                self._walk(child, sensitive)

    # --- events ---

    def scrub_event(self, event: dict[str, Any]) -> dict[str, Any]:
        data = event.get("data")
        etype = event.get("type")
        if etype == 2 and isinstance(data, dict) and isinstance(data.get("node"), dict):
            self.sensitive.clear()
            self._walk(data["node"], False)
        elif etype == 3 and isinstance(data, dict):
            self._incremental(data)
        elif etype == 4 and isinstance(data, dict) and isinstance(data.get("href"), str):
            data["href"] = strip_query(data["href"])
        return scrub_value(event)

    def _incremental(self, data: dict[str, Any]) -> None:
        source = data.get("source")
        if source == 0:  # mutation
            for add in data.get("adds") or ():
                if isinstance(add, dict) and isinstance(add.get("node"), dict):
                    self._walk(add["node"], add.get("parentId") in self.sensitive)
            for change in data.get("attributes") or ():
                if not isinstance(change, dict) or not isinstance(change.get("attributes"), dict):
                    continue
                attrs = change["attributes"]
                if change.get("id") in self.sensitive or "data-sensitive" in attrs:
                    self.sensitive.add(change.get("id"))
                    for key in _VALUE_ATTRS:
                        if key in attrs:
                            attrs[key] = _masked(attrs[key])
                            self.masked_values += 1
            for text in data.get("texts") or ():
                if isinstance(text, dict) and text.get("id") in self.sensitive:
                    text["value"] = _masked(text.get("value"))
                    self.masked_values += 1
        elif source == 5 and data.get("id") in self.sensitive:  # input
            data["text"] = _masked(data.get("text"))
            self.masked_values += 1


class EventsRejected(Exception):
    """A batch of events that breaks the rules (not a list of rrweb events)."""


def validate_batch(events: Any, max_events: int = 5000) -> list[dict[str, Any]]:
    """The batch when it is a list of rrweb-shaped events; raises EventsRejected otherwise."""
    if not isinstance(events, list) or not events or len(events) > max_events:
        raise EventsRejected("events must be a non-empty list")
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("type"), int):
            raise EventsRejected("each event needs an integer type")
        if not isinstance(event.get("timestamp"), (int, float)):
            raise EventsRejected("each event needs a timestamp")
    return events


def batch_size(events: Any) -> int:
    """Bytes of the JSON form of a batch (what the relay costs)."""
    return len(json.dumps(events, ensure_ascii=False, separators=(",", ":")).encode())


# --- form sharing (mini-programs) ---

FIELD_TYPES = {
    "text",
    "number",
    "idcard",
    "digit",
    "tel",
    "password",
    "date",
    "select",
    "textarea",
    "radio",
    "checkbox",
}
SENSITIVE_FIELD_TYPES = {"password", "idcard", "tel", "bankcard"}


def mask_form(form: Any, max_fields: int = 100) -> dict[str, Any]:
    """A shared form with sensitive fields masked and every value scrubbed."""
    if not isinstance(form, dict) or not isinstance(form.get("fields"), list):
        raise EventsRejected("form needs a list of fields")
    fields = []
    for field in form["fields"][:max_fields]:
        if not isinstance(field, dict) or not isinstance(field.get("name"), str):
            raise EventsRejected("each field needs a name")
        ftype = str(field.get("type", "text"))
        label = str(field.get("label", ""))[:100]
        value = field.get("value")
        value = "" if value is None else str(value)[:2000]
        sensitive = (
            bool(field.get("sensitive"))
            or ftype in SENSITIVE_FIELD_TYPES
            or bool(SENSITIVE_WORDS.search(field["name"]))
            or bool(SENSITIVE_WORDS.search(label))
        )
        fields.append(
            {
                "name": field["name"][:100],
                "label": scrub_text(label),
                "type": ftype[:20],
                "value": _masked(value) if sensitive else scrub_text(value),
                "masked": sensitive,
                "filled": bool(value),
            }
        )
    return {
        "form_id": str(form.get("form_id") or form.get("id") or "form")[:100],
        "title": scrub_text(str(form.get("title", ""))[:200]),
        "page": str(form.get("page", ""))[:200],
        "fields": fields,
    }

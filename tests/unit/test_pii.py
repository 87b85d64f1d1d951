"""Masking of ID, phone and bank card numbers (core/pii.py) and in the JSON logs."""

from __future__ import annotations

import json
import logging

from core.logs import setup_logging
from core.pii import has_pii, mask_any, mask_pii


def test_id_phone_and_card_numbers_are_masked():
    assert mask_pii("身份证310101199001011234") == "身份证310***********1234"
    assert mask_pii("31010119900101123X号") == "310***********123X号"
    assert mask_pii("电话13812345678，或+86 139 1234 5678") == "电话138****5678，或+86 139****5678"
    assert mask_pii("卡号6222 0212 3456 7890 123") == "卡号***************0123"
    assert mask_pii("银行卡6222021234567890，谢谢") == "银行卡************7890，谢谢"


def test_ordinary_numbers_stay():
    for text in ("订单号 2026112600001", "2026年11月26日下午3点", "拨打12345热线", "公积金账号 123456789012",
                 "会话 5f1c0a2b3d4e", "12812345678"):
        assert mask_pii(text) == text and not has_pii(text)


def test_nested_values_are_walked():
    assert mask_any({"a": ["13812345678", 3], "b": ("310101199001011234",)}) == {
        "a": ["138****5678", 3], "b": ("310***********1234",)}


def test_logs_are_masked(capsys):
    setup_logging("test")
    logging.getLogger("t").warning("电话 %s", "13812345678", extra={"question": "身份证310101199001011234"})
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "电话 138****5678" and line["question"] == "身份证310***********1234"

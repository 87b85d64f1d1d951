"""Provider request shapes without a network: Alipay's RSA2 parameters and answers, WeChat's error codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bridge.infra.notify_providers import rsa2
from bridge.infra.notify_providers.alipay import NODE, Alipay
from bridge.infra.notify_providers.base import Notice, Outcome
from bridge.infra.notify_providers.wechat import WeChat, errcode_outcome

NOTICE = Notice(key="c1:reply:3", kind="reply", to="2088000000000001", template_id="ap-dev-reply",
                data={"keyword1": "发票申领", "keyword2": "请提供税号"}, page="pages/chat/chat?conversation_id=c1")


@pytest.fixture(scope="module")
def keys():
    return rsa2.new_key_pair(), rsa2.new_key_pair()


def test_signing_content_sorts_and_leaves_out_sign_and_empty_values():
    params = {"b": "2", "a": "1", "sign": "x", "empty": "", "c": "中文 & =", "sign_type": "RSA2"}
    assert rsa2.signing_content(params) == "a=1&b=2&c=中文 & =&sign_type=RSA2"


def test_alipay_request_parameters_are_signed_as_the_gateway_checks_them(keys):
    (app_private, app_public), (_, platform_public) = keys
    client = Alipay("https://gw.example/gateway.do", "2021000000000001", app_private, platform_public)
    at = dt.datetime(2026, 11, 26, 8, 0, 5, tzinfo=dt.UTC)
    params = client.params(NOTICE, at)
    assert params["timestamp"] == "2026-11-26 16:00:05"  # Beijing time
    assert {params[k] for k in ("format", "charset", "sign_type", "version")} == {"JSON", "utf-8", "RSA2", "1.0"}
    biz = json.loads(params["biz_content"])
    assert biz["to_user_id"] == NOTICE.to and biz["user_template_id"] == "ap-dev-reply"
    assert json.loads(biz["data"]) == {"keyword1": {"value": "发票申领"}, "keyword2": {"value": "请提供税号"}}
    public = rsa2.public_key(app_public)
    assert rsa2.verify(public, rsa2.signing_content(params), params["sign"])
    assert not rsa2.verify(public, rsa2.signing_content({**params, "app_id": "other"}), params["sign"])


def _answer(platform_private: bytes, node: dict, name: str = NODE) -> str:
    text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
    return f'{{"{name}":{text},"sign":"{rsa2.sign(rsa2.private_key(platform_private), text)}"}}'


def test_alipay_answers_are_verified_before_they_are_believed(keys):
    (app_private, _), (platform_private, platform_public) = keys
    client = Alipay("https://gw.example/gateway.do", "2021000000000001", app_private, platform_public)
    assert client.outcome(_answer(platform_private, {"code": "10000", "msg": "Success"})) == Outcome("sent")
    assert client.outcome(_answer(platform_private, {"code": "20000", "msg": "busy"})).state == "retry"
    refused = _answer(platform_private, {"code": "40004", "msg": "Business Failed", "sub_code": "USER_NOT_SUBSCRIBE"})
    assert client.outcome(refused).state == "refused"
    bad = _answer(platform_private, {"code": "40002", "sub_code": "isv.invalid-signature"}, "error_response")
    assert client.outcome(bad) == Outcome("failed", "isv.invalid-signature", "")
    forged = _answer(app_private, {"code": "10000", "msg": "Success"})  # not signed by the platform
    assert client.outcome(forged).code == "bad_response_signature"


def test_response_node_is_the_exact_text_alipay_signed():
    text = '{"x_response":{"code":"10000","msg":"中文"} ,"sign":"abc"}'
    assert rsa2.response_node(text, "x_response") == '{"code":"10000","msg":"中文"}'
    assert rsa2.response_node(text, "missing") is None


def test_wechat_error_codes_map_to_outbox_decisions():
    assert errcode_outcome(0).state == "sent"
    assert errcode_outcome(43101).state == "refused"  # no subscription left: skipped, never retried
    assert errcode_outcome(47003).state == "failed"  # our template data: dead letter
    assert errcode_outcome(-1).state == "retry"
    assert errcode_outcome(42001).state == "retry"


def test_wechat_message_body_shape():
    client = WeChat("https://api.weixin.qq.com", "wx1", "secret", "developer")
    body = client.message(Notice(key="k", kind="reply", to="oOpenId", template_id="T", data={"thing1": "办税"},
                                 page="pages/chat/chat"))
    assert body == {"touser": "oOpenId", "template_id": "T", "page": "pages/chat/chat",
                    "data": {"thing1": {"value": "办税"}}, "miniprogram_state": "developer", "lang": "zh_CN"}

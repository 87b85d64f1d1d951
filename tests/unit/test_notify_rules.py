"""The pure rules of citizen notifications: provider, kind, quiet hours, retry delays, templates, claims."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.domain.auth import contact_claims
from bridge.domain.notify import policy
from bridge.domain.notify.templates import KINDS, Templates, wechat_value
from core.notify_settings import NotifySettings
from core.settings import ROOT

UTC = dt.UTC


def beijing(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 26, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.mark.parametrize(("channel", "contact", "want"), [
    ("wechat", {"openid": "o123456", "user": "u1"}, ("wechat", "o123456")),
    ("alipay", {"openid": "2088000000000001", "user": "u1"}, ("alipay", "2088000000000001")),
    ("app", {"user": "u1"}, ("push", "u1")),
    ("wechat", {"user": "u1", "phone": "13900000000"}, ("sms", "13900000000")),  # no openid: SMS
    ("pc", {"user": "u1", "phone": "13900000000"}, ("sms", "13900000000")),
    ("kiosk", {"user": "u1"}, None),
    ("pc", None, None),
])
def test_the_channel_decides_the_provider_and_sms_is_the_last_resort(channel, contact, want):
    assert policy.provider_for(channel, contact) == want


def _msg(role: str, **meta) -> dict:
    return {"sender": {"role": role, "id": "x"}, "meta": meta}


def test_kinds_come_from_the_message_alone():
    conv: dict = {}
    assert policy.kind_of(conv, _msg("agent")) == "reply"
    assert policy.kind_of(conv, _msg("supervisor")) == "reply"  # a supervisor stepping in replies too
    assert policy.kind_of(conv, _msg("user")) is None
    assert policy.kind_of(conv, _msg("bot")) is None
    assert policy.kind_of(conv, _msg("system", event="agent_joined")) == "your_turn"
    assert policy.kind_of(conv, _msg("system", event="ticket_update", ticket="WO1")) == "workorder"
    assert policy.kind_of(conv, _msg("system", event="closed", rate=["bot", "agent"])) == "rating"
    assert policy.kind_of(conv, _msg("system", event="closed", rate=["bot"])) is None  # nobody served them
    assert policy.kind_of(conv, _msg("system", event="handed_off")) is None


def test_quiet_hours_across_midnight_end_in_the_morning():
    spec = "22:00-08:00"
    assert policy.quiet_until(beijing(21, 59), spec) is None
    assert policy.quiet_until(beijing(22, 0), spec) == beijing(8).replace(day=27).astimezone(UTC)
    assert policy.quiet_until(beijing(3, 30), spec) == beijing(8).astimezone(UTC)
    assert policy.quiet_until(beijing(8, 0), spec) is None
    assert policy.quiet_until(beijing(12, 0), "12:00-13:30") == beijing(13, 30).astimezone(UTC)
    assert policy.quiet_until(beijing(3, 0), "") is None


def test_backoff_grows_is_capped_and_jittered():
    assert policy.backoff(1, 5, 600, rand=lambda: 1.0) == 5
    assert policy.backoff(3, 5, 600, rand=lambda: 1.0) == 20
    assert policy.backoff(20, 5, 600, rand=lambda: 1.0) == 600
    assert policy.backoff(3, 5, 600, rand=lambda: 0.0) == 10  # at least half the delay


def test_quiet_hours_setting_is_checked():
    assert NotifySettings(NOTIFY_QUIET_HOURS="off").quiet_hours == ""
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        NotifySettings(NOTIFY_QUIET_HOURS="late")
    with pytest.raises(ValueError, match="comma list"):
        NotifySettings(NOTIFY_QUIET_PROVIDERS="sms,pager")


def test_wechat_values_fit_their_types():
    assert wechat_value("thing2", "一" * 30) == "一" * 19 + "…"
    assert wechat_value("phrase2", "已办结") == "已办结"
    assert len(wechat_value("phrase2", "处理中处理中")) == 5
    assert wechat_value("time3", "2026-11-26 16:00") == "2026-11-26 16:00"
    assert len(wechat_value("character_string1", "W" * 40)) == 32


def test_the_shipped_templates_cover_every_kind_and_render():
    templates = Templates.load(ROOT / "data" / "notify" / "templates.yml")
    assert set(KINDS) <= set(templates.kinds)
    variables = {"matter": "发票申领", "agent": "张三", "excerpt": "请提供纳税人识别号" * 3, "time": "2026-11-26 16:00",
                 "conversation_id": "c1", "ticket": "WO1", "status": "已办结", "department": "税务局"}
    for kind in KINDS:
        for provider in ("wechat", "alipay", "sms", "push"):
            r = templates.render(kind, provider, variables)
            assert r.title and r.text and r.page == "pages/chat/chat?conversation_id=c1"
            if provider != "push":
                assert r.template_id and r.data, (kind, provider)
            if provider == "wechat":
                assert all(wechat_value(k, v) == v for k, v in r.data.items())
    assert templates.template_ids("wechat") >= {"wx-dev-reply", "wx-dev-turn", "wx-dev-order", "wx-dev-rating"}


def test_contact_claims_take_only_well_formed_and_verified_values():
    assert contact_claims({"openid": "oAbC_123-xyz", "phone": "13912345678", "phone_verified": True}) == {
        "openid": "oAbC_123-xyz", "phone": "13912345678"}
    assert contact_claims({"phone": "13912345678"}) == {}  # not verified
    assert contact_claims({"phone": "13912345678", "phone_verified": "yes"}) == {}
    assert contact_claims({"openid": "a b", "phone": "+8613912345678", "phone_verified": True}) == {}


def test_outside_local_development_stand_in_targets_and_short_secrets_are_refused():
    from core.notify_settings import unsafe_notify

    s = NotifySettings(WECHAT_APPID="wx1", WECHAT_API_URL="http://127.0.0.1:8091/wechat",
                       PUSH_URL="https://push.example.gov.cn", PUSH_SECRET="short", SMS_URL="")
    problems = unsafe_notify(s, "in production")
    assert any(p.startswith("WECHAT_API_URL: the notification stand-ins") for p in problems), problems
    assert any(p.startswith("PUSH_SECRET: must be at least 32 bytes") for p in problems), problems
    assert not any(p.startswith(("SMS_", "ALIPAY_")) for p in problems)  # not configured: nothing to check
    real = NotifySettings(WECHAT_APPID="wx1", PUSH_URL="https://push.example.gov.cn", PUSH_SECRET="s" * 32)
    assert unsafe_notify(real, "in production") == []

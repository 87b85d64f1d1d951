"""Co-browse: scrubbing of rrweb events and forms, and the Socket.IO flow with consent and limits."""

from __future__ import annotations

import json

import pytest

from core.ratelimit import RateLimiter
from media.cobrowse import Scrubber, id_card_valid, luhn_valid, mask_form, scrub_text
from tests.unit.media_fixtures import Recorder, media_server, mongo_uri  # noqa: F401

ID = "11010519491231002X"  # the national standard's sample number (valid check digit)
PHONE = "13812345678"
CARD = "6222021234567890128"  # 19 digits, UnionPay prefix


def test_id_card_checksum():
    assert id_card_valid(ID)
    assert not id_card_valid("110105194912310021")


def test_luhn():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    "text",
    [
        f"我的身份证号是{ID}，请帮我查",
        f"手机 {PHONE} 收不到验证码",
        "手机 138 1234 5678 收不到",
        "+86 138-1234-5678",
        f"银行卡{CARD}",
        "卡号 4111 1111 1111 1111",
    ],
)
def test_scrub_text_masks_numbers(text):
    out = scrub_text(text)
    digits = "".join(ch for ch in out if ch.isdigit())
    assert len(digits) < 6, out
    assert len(out) == len(text)


def test_scrub_keeps_ordinary_numbers():
    text = "办件编号 20240101-0001，共 3 页，电话 021-12345 转 8，订单 1234567890"
    assert scrub_text(text) == text


def rr_input(node_id, tag, attrs, children=()):
    return {"type": 2, "tagName": tag, "attributes": attrs, "childNodes": list(children), "id": node_id}


def full_snapshot():
    body = rr_input(
        3,
        "body",
        {},
        [
            rr_input(10, "input", {"type": "password", "value": "s3cret!"}),
            rr_input(
                11,
                "input",
                {"name": "idcard", "value": "310101199001011234", "placeholder": "请输入身份证号"},
            ),
            rr_input(12, "input", {"name": "address", "value": "浦东新区世纪大道100号"}),
            rr_input(
                13, "div", {"data-sensitive": ""}, [{"type": 3, "textContent": "余额 12,345.67 元", "id": 14}]
            ),
            {"type": 3, "textContent": f"联系电话 {PHONE}", "id": 15},
        ],
    )
    return {"type": 2, "timestamp": 1, "data": {"node": {"type": 0, "childNodes": [body], "id": 1}}}


def test_scrubber_masks_sensitive_nodes_and_later_input():
    scrubber = Scrubber()
    snap = scrubber.scrub_event(full_snapshot())
    dumped = json.dumps(snap, ensure_ascii=False)
    for secret in ("s3cret!", "310101199001011234", "12,345.67", PHONE):
        assert secret not in dumped
    assert "浦东新区世纪大道100号" in dumped and "请输入身份证号" in dumped
    typed = scrubber.scrub_event(
        {"type": 3, "timestamp": 2, "data": {"source": 5, "id": 10, "text": "hunter2"}}
    )
    assert typed["data"]["text"] == "*******"
    plain = scrubber.scrub_event(
        {"type": 3, "timestamp": 3, "data": {"source": 5, "id": 12, "text": "徐汇区"}}
    )
    assert plain["data"]["text"] == "徐汇区"
    mutation = {
        "type": 3,
        "timestamp": 4,
        "data": {
            "source": 0,
            "texts": [{"id": 14, "value": "余额 99 元"}],
            "attributes": [{"id": 11, "attributes": {"value": "abc"}}],
            "adds": [{"parentId": 13, "node": {"type": 3, "textContent": "秘密", "id": 20}}],
            "removes": [],
        },
    }
    out = json.dumps(scrubber.scrub_event(mutation), ensure_ascii=False)
    assert "余额 99" not in out and "abc" not in out and "秘密" not in out


def test_scrubber_drops_the_query_of_the_page_address():
    meta = {"type": 4, "timestamp": 1, "data": {"href": "https://x.gov.cn/h5?token=eyJ.secret#top", "width": 375}}
    out = Scrubber().scrub_event(meta)
    assert out["data"]["href"] == "https://x.gov.cn/h5" and "secret" not in json.dumps(out)


def test_mask_form():
    form = mask_form(
        {
            "form_id": "f1",
            "title": "公积金提取申请",
            "fields": [
                {"name": "name", "label": "姓名", "value": "张三"},
                {"name": "cert", "label": "身份证号", "type": "idcard", "value": ID},
                {"name": "mobile", "label": "手机号", "value": PHONE},
                {"name": "note", "label": "备注", "value": f"卡号{CARD}"},
            ],
        }
    )
    dumped = json.dumps(form, ensure_ascii=False)
    assert ID not in dumped and PHONE not in dumped and CARD not in dumped and "张三" in dumped
    assert [f["masked"] for f in form["fields"]] == [False, True, True, False]


def test_token_bucket():
    t = [0.0]
    bucket = RateLimiter.per_second(rate=2, burst=2, clock=lambda: t[0])
    assert bucket.allow() and bucket.allow() and not bucket.allow()
    t[0] = 0.5
    assert bucket.allow() and not bucket.allow()


# --- Socket.IO flow ---------------------------------------------------------------------------


async def connect_pair(url: str, user: str = "u1", agent: str = "a1") -> tuple[Recorder, Recorder]:
    return await Recorder(url, "/user", f"{user}:user").connect(), await Recorder(
        url, "/agent", f"{agent}:agent"
    ).connect()


async def test_cobrowse_flow_consent_relay_and_stop(media_server):  # noqa: F811 - fixture
    url, desk, _ = media_server
    user, agent = await connect_pair(url)
    try:
        early = await user.call(
            "cobrowse_events", {"conversation_id": "c1", "events": [{"type": 4, "timestamp": 1}]}
        )
        assert early["ok"] is False
        ack = await agent.call("cobrowse_request", {"conversation_id": "c1"})
        assert ack["ok"] and ack["state"] == "requested"
        sid = ack["session_id"]
        req = (await user.wait_for("cobrowse_request"))[0]
        assert req["session_id"] == sid and "身份证号" in req["notice"]
        # events before consent are refused
        refused = await user.call(
            "cobrowse_events", {"conversation_id": "c1", "events": [{"type": 4, "timestamp": 1}]}
        )
        assert refused["error"]["code"] == "cobrowse_not_active"
        ok = await user.call("cobrowse_consent", {"conversation_id": "c1", "session_id": sid, "accept": True})
        assert ok["ok"] and ok["state"] == "active"
        await agent.wait_for("cobrowse_state", where=lambda d: d["state"] == "active")
        sent = await user.call(
            "cobrowse_events", {"conversation_id": "c1", "session_id": sid, "events": [full_snapshot()]}
        )
        assert sent == {"ok": True, "seq": 1}
        got = (await agent.wait_for("cobrowse_events"))[0]
        dumped = json.dumps(got, ensure_ascii=False)
        assert "s3cret!" not in dumped and PHONE not in dumped and "浦东新区" in dumped
        # pointer back to the user, control needs a second consent
        assert (
            await agent.call("cobrowse_pointer", {"conversation_id": "c1", "x": 10, "y": 20, "kind": "click"})
        )["ok"]
        assert (await user.wait_for("cobrowse_pointer"))[0]["kind"] == "click"
        denied = await agent.call(
            "cobrowse_control", {"conversation_id": "c1", "action": "click", "node_id": 12}
        )
        assert denied["error"]["code"] == "control_not_granted"
        await agent.call("cobrowse_control_request", {"conversation_id": "c1"})
        await user.wait_for("cobrowse_control_request")
        assert (await user.call("cobrowse_control_consent", {"conversation_id": "c1", "accept": True}))[
            "control"
        ] == "on"
        assert (
            await agent.call("cobrowse_control", {"conversation_id": "c1", "action": "click", "node_id": 12})
        )["ok"]
        assert (await user.wait_for("cobrowse_control"))[0]["node_id"] == 12
        # the user stops at any time
        stop = await user.call("cobrowse_stop", {"conversation_id": "c1"})
        assert stop["ok"]
        await agent.wait_for("cobrowse_state", where=lambda d: d["state"] == "ended")
        kinds = [d["kind"] async for d in desk.collections.cobrowse_events.find({"session_id": sid}).sort("ts", 1)]
        assert kinds[:3] == ["request", "consent", "events"] and kinds[-1] == "stop"
        logged = await desk.collections.cobrowse_events.find_one({"session_id": sid, "kind": "events"})
        assert "s3cret!" not in json.dumps(logged["events"], ensure_ascii=False)
        events = [e[1] for e in desk.entries]
        assert "cobrowse_started" in events and "cobrowse_ended" in events
    finally:
        await user.client.disconnect()
        await agent.client.disconnect()


async def test_cobrowse_refuses_other_parties_and_limits(media_server):  # noqa: F811 - fixture
    url, _, media = media_server
    user, agent = await connect_pair(url)
    stranger = await Recorder(url, "/agent", "a2:agent").connect()
    try:
        assert (await stranger.call("cobrowse_request", {"conversation_id": "c1"}))["error"][
            "code"
        ] == "forbidden"
        sid = (await agent.call("cobrowse_request", {"conversation_id": "c1"}))["session_id"]
        await user.call("cobrowse_consent", {"conversation_id": "c1", "session_id": sid, "accept": True})
        big = [{"type": 5, "timestamp": 1, "data": {"payload": "x" * (1024 * 1024)}}]
        assert (await user.call("cobrowse_events", {"conversation_id": "c1", "events": big}))["error"][
            "code"
        ] == "too_large"
        bad = await user.call("cobrowse_events", {"conversation_id": "c1", "events": [{"no": "type"}]})
        assert bad["error"]["code"] == "bad_request"
        media.cobrowse.by_conv["c1"].events_bucket = RateLimiter.per_second(rate=0.001, burst=1)
        small = [{"type": 4, "timestamp": 1, "data": {}}]
        assert (await user.call("cobrowse_events", {"conversation_id": "c1", "events": small}))["ok"]
        limited = await user.call("cobrowse_events", {"conversation_id": "c1", "events": small})
        assert limited["error"]["code"] == "rate_limited"
    finally:
        for c in (user, agent, stranger):
            await c.client.disconnect()


async def test_form_share_and_suggestions(media_server):  # noqa: F811 - fixture
    url, _, _ = media_server
    user, agent = await connect_pair(url)
    try:
        form = {
            "form_id": "f1",
            "title": "申请表",
            "fields": [
                {"name": "name", "label": "姓名", "value": "张三"},
                {"name": "idcard", "label": "身份证号", "type": "idcard", "value": ID},
            ],
        }
        ack = await user.call("form_share", {"conversation_id": "c1", "form": form})
        assert ack["ok"] and ack["mode"] == "form"
        shared = (await agent.wait_for("form_share"))[0]
        assert ID not in json.dumps(shared, ensure_ascii=False)
        sug = await agent.call(
            "form_suggest",
            {
                "conversation_id": "c1",
                "form_id": "f1",
                "suggestions": [{"name": "name", "value": "张三丰", "note": "请与证件一致"}],
            },
        )
        assert sug["ok"]
        got = (await user.wait_for("form_suggest"))[0]
        assert got["suggestions"][0]["value"] == "张三丰"
        reply = await user.call(
            "form_suggest_reply",
            {"conversation_id": "c1", "suggestion_id": got["suggestion_id"], "accepted": ["name"]},
        )
        assert reply["ok"]
        assert (await agent.wait_for("form_suggest_reply"))[0]["accepted"] == ["name"]
    finally:
        await user.client.disconnect()
        await agent.client.disconnect()

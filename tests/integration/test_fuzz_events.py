"""Property-based fuzzing of every Socket.IO event of /user and /agent (hypothesis).

For each registered event, generated payloads (wrong types, huge strings, nested junk, unicode,
missing and extra fields, near-valid payloads with one field spoiled) must get an ack with
`ok: false` and a known error code, or `ok: true` only when the payload is valid; the connection
survives, and conversations the caller may not touch stay exactly as they were.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.app import create_app
from bridge.transport import schemas as s
from core.settings import load_settings
from ops.system import System
from tests.integration.systems import LoopThread, MultiHarness, harness
from tests.support import start_conversation

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
KNOWN_CODES = {
    # bridge (docs/protocol.md)
    "invalid_payload", "text_too_long", "rate_limited", "unauthorized", "token_expired", "forbidden", "not_found",
    "unknown_matter", "unknown_department", "unknown_agent", "conversation_closed", "invalid_state",
    "already_rated", "forbidden_words", "no_capacity", "db_unavailable", "not_online",
    # media (docs/media.md)
    "bad_request", "call_busy", "call_not_found", "cobrowse_not_active", "cobrowse_not_found",
    "control_not_granted", "control_not_requested", "no_agent", "too_large", "too_long",
}
USER_MODELS: dict[str, type[s.Payload] | None] = {
    "message": s.MessageIn, "sync": s.SyncIn, "handoff": s.HandoffIn, "typing": s.TypingIn, "read": s.ReadIn,
    "rate": s.RateIn, "end": s.ConversationRef, "conversations": None, "notify:consent": s.NotifyConsentIn}
AGENT_MODELS: dict[str, type[s.Payload] | None] = {
    "presence": s.PresenceIn, "message": s.MessageIn, "sync": s.SyncIn, "conversations": None, "queues": None,
    "transfer": s.TransferIn, "escalate": s.EscalateIn, "close": s.CloseIn, "handback": s.ConversationRef,
    "typing": s.TypingIn, "read": s.ReadIn, "watch": s.WatchIn, "force_handoff": s.ConversationRef,
    "reassign": s.TransferIn, "supervise": None}
FIELDS = ["conversation_id", "client_msg_id", "type", "text", "media_id", "matter", "after_seq", "limit", "on", "seq",
          "target", "score", "resolved", "comment", "status", "department", "agent", "note", "summary",
          "kb_suggestion", "reason", "call_id", "sdp", "candidate", "events", "granted", "x", "y", "fields", "kind"]
STATS: Counter = Counter()


def registered_events() -> dict[str, list[str]]:
    """The events the bridge registers on each namespace (its own handlers and media's)."""
    app = create_app(load_settings().model_copy(update={"redis_url": ""}))
    handlers = app["sio"].handlers
    return {ns: sorted(e for e in handlers[ns] if e not in ("connect", "disconnect")) for ns in ("/user", "/agent")}


def junk() -> st.SearchStrategy:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40),
                        st.integers(min_value=-(2**70), max_value=2**70))
    return st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c,
                                                                                      max_size=4), max_leaves=12)


def values(ids: list[str]) -> st.SearchStrategy:
    specials = ["", " ", "x" * 65, "../../etc/passwd", "$where", "<script>alert(1)</script>", "长" * 2500,
                "a\x00b", "\ud7ff\ue000\U0010ffff", "text", "image", "voice", "file", "bot", "agent", "online",
                "offline", "away", "housing-fund", "triage", "residence-permit", "/request_human", "滚"]
    return st.one_of(junk(), st.sampled_from(ids + specials), st.just({"$ne": None}), st.just({"$gt": ""}),
                     st.text(min_size=2000, max_size=2100, alphabet="好a<>&\"'"), st.integers(-5, 1001))


def payloads(base: dict[str, Any], ids: list[str]) -> st.SearchStrategy:
    """Junk, random objects of known and unknown fields, and the valid base with one field spoiled."""
    v = values(ids)
    spoiled = st.tuples(st.sampled_from(list(base) or ["x"]), v).map(lambda kv: {**base, kv[0]: kv[1]})
    missing = st.sampled_from(list(base) or ["x"]).map(lambda k: {x: y for x, y in base.items() if x != k})
    extra = st.tuples(st.text(min_size=1, max_size=12), v).map(lambda kv: {**base, kv[0]: kv[1]})
    loose = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), v, max_size=7)
    return st.one_of(junk(), loose, spoiled, missing, extra, st.just(base))


def bases(ns: str, own: str) -> dict[str, dict[str, Any]]:
    msg = {"conversation_id": own, "client_msg_id": uuid.uuid4().hex, "type": "text", "text": "您好"}
    common = {
        "message": msg, "sync": {"conversation_id": own, "after_seq": 0},
        "typing": {"conversation_id": own, "on": True},
        "read": {"conversation_id": own, "seq": 1}, "conversations": {}, "queues": {}, "supervise": {},
        "handoff": {"conversation_id": own}, "end": {"conversation_id": own},
        "rate": {"conversation_id": own, "target": "bot", "score": 3, "resolved": False},
        "presence": {"status": "online"}, "transfer": {"conversation_id": own, "department": "triage", "note": ""},
        "reassign": {"conversation_id": own, "department": "triage", "note": ""},
        "escalate": {"conversation_id": own, "summary": "需热线协调"},
        "close": {"conversation_id": own, "resolved": True},
        "handback": {"conversation_id": own}, "watch": {"conversation_id": own, "on": True},
        "force_handoff": {"conversation_id": own},
        "notify:consent": {"provider": "wechat", "accepted": ["wx-dev-reply"], "rejected": []},
    }
    return common


def check_ack(ns: str, event: str, payload: Any, ack: Any) -> None:
    STATS[f"{ns} cases"] += 1
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (event, payload, ack)
    models = USER_MODELS if ns == "/user" else AGENT_MODELS
    if ack["ok"]:
        STATS[f"{ns} accepted"] += 1
        model = models.get(event)
        if model is not None:
            _, err = s.parse(model, payload)
            assert err is None, ("accepted an invalid payload", event, payload, ack)
        return
    err = ack.get("error") or {}
    STATS[f"{ns} refused {err.get('code')}"] += 1
    assert err.get("code") in KNOWN_CODES, (event, payload, ack)
    assert isinstance(err.get("message"), str) and err["message"], ack


async def _setup(h: MultiHarness) -> dict[str, Any]:
    """A user with a bot conversation, an agent with an assigned one, and victims they may not touch."""
    dep, matter = "housing-fund", "housing-fund-loan"
    await h.reset_department(dep)
    victim_user = await h.user()
    victim_cid = await start_conversation(victim_user, "别人的会话")
    await victim_user.call("handoff", {"conversation_id": victim_cid})  # queued in triage: nobody's
    user = await h.user()
    own_cid = await start_conversation(user, "我的会话")
    agent = await h.agent([dep], capacity=50)
    served_user = await h.user()
    served_cid = await start_conversation(served_user, "公积金贷款", matter=matter)
    await served_user.call("handoff", {"conversation_id": served_cid})
    await agent.wait_for("assigned", pred=lambda d: d["conversation"]["id"] == served_cid)
    sup = await h.agent(["education"], role="supervisor", online=False)
    return {"user": user, "own": own_cid, "agent": agent, "served": served_cid, "sup": sup, "victim": victim_cid}


async def _snapshot(h: MultiHarness, cid: str) -> tuple:
    conv = await h.store.conversations.find_one({"_id": cid})
    n = await h.store.messages.count_documents({"conversation_id": cid})
    r = await h.store.ratings.count_documents({"conversation_id": cid})
    return conv["state"], conv.get("agent"), conv.get("department"), n, r


@pytest.fixture(scope="module")
def events(lite_system: System) -> dict[str, list[str]]:
    os.environ.setdefault("BANGBAN_VAR", str(lite_system.cfg.var_dir))
    return registered_events()


@pytest.mark.parametrize("ns", ["/user", "/agent"])
def test_every_event_survives_generated_payloads(lite_system: System, events: dict[str, list[str]], ns: str):
    loop = LoopThread()
    h = harness(lite_system)
    try:
        world = loop.run(_setup(h))
        victim_before = loop.run(_snapshot(h, world["victim"]))
        callers = [world["user"]] if ns == "/user" else [world["agent"], world["sup"]]
        own = world["own"] if ns == "/user" else world["served"]
        ids = [own, world["victim"], uuid.uuid4().hex]
        names = events[ns]
        assert set(USER_MODELS if ns == "/user" else AGENT_MODELS) <= set(names)
        strategy = st.sampled_from(names).flatmap(
            lambda e: st.tuples(st.just(e), payloads(bases(ns, own).get(e, {"conversation_id": own}), ids),
                                st.sampled_from(range(len(callers)))))

        @settings(max_examples=EXAMPLES * len(names) // 8, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def fuzz(case: tuple[str, Any, int]) -> None:
            event, payload, who = case
            client = callers[who]
            ack = loop.run(client.call(event, payload, timeout=20))
            check_ack(ns, event, payload, ack)
            assert client.sio.connected

        fuzz()
        # the victim's conversation is untouched and the callers still work normally
        assert loop.run(_snapshot(h, world["victim"])) == victim_before
        for client in callers:
            ack = loop.run(client.call("conversations"))
            assert ack["ok"], ack
        print(f"\n{ns}: " + ", ".join(f"{k}={v}" for k, v in sorted(STATS.items()) if k.startswith(ns)))
    finally:
        loop.run(h.close_clients())
        loop.run(h.store.close())
        loop.stop()

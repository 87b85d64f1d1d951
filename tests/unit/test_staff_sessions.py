"""What a staff socket becomes when its account changes; the client address behind trusted proxies."""

from __future__ import annotations

import time

from aiohttp.test_utils import make_mocked_request

from bridge.domain.auth import Principal
from bridge.domain.staff_sessions import department_rooms, refresh
from bridge.infra import rooms
from bridge.transport.http.staff import client_address

SUPER = Principal(id="s1", role="supervisor", name="班长", departments=("taxation", "triage"),
                  expires_at=time.time() + 86_400)  # collected minutes before it runs


def test_refresh_follows_the_database_not_the_token() -> None:
    account = {"role": "supervisor", "departments": ["taxation"], "disabled": False, "name": "班长"}
    narrowed = refresh(SUPER, account)
    assert isinstance(narrowed, Principal) and narrowed.departments == ("taxation",)
    assert refresh(SUPER, {**account, "disabled": True}) == "account_disabled"
    assert refresh(SUPER, None) == "account_disabled"
    assert refresh(SUPER, {**account, "role": "agent"}) == "forbidden"
    expired = Principal(id="s1", role="supervisor", name="班长", expires_at=time.time() - 1)
    assert refresh(expired, account) == "token_expired"


def test_department_rooms_of_supervisors_include_their_alert_rooms() -> None:
    assert department_rooms(SUPER) == {rooms.department("taxation"), rooms.department("triage"),
                                       rooms.supervisors("taxation"), rooms.supervisors("triage")}
    agent = Principal(id="a1", role="agent", name="坐席", departments=("taxation",))
    assert department_rooms(agent) == {rooms.department("taxation")}


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    def request(peer: str, forwarded: str):
        req = make_mocked_request("POST", "/api/v1/agents/login", headers={"X-Forwarded-For": forwarded})
        req._transport_peername = (peer, 1234)  # noqa: SLF001 - the mocked request's peer
        return req

    assert client_address(request("10.0.0.1", "203.0.113.5"), ["10.0.0.1"]) == "203.0.113.5"
    assert client_address(request("10.0.0.1", "6.6.6.6, 203.0.113.5, 10.0.0.1"), ["10.0.0.1"]) == "203.0.113.5"
    assert client_address(request("198.51.100.9", "203.0.113.5"), ["10.0.0.1"]) == "198.51.100.9"

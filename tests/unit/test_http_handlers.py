"""HTTP handlers of the bridge are importable and testable on their own: scope rules of staff queries."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from bridge.domain.auth import Principal
from bridge.transport.http import conversations, hotline, reports
from bridge.transport.http.common import PRINCIPAL_KEY
from core.errors import ApiError


def request(path: str, p: Principal):
    req = make_mocked_request("GET", path)
    req[PRINCIPAL_KEY] = p
    return req


SUPER = Principal(id="s1", role="supervisor", name="督导", departments=("housing-fund",))
SUPER2 = Principal(id="s2", role="supervisor", name="督导", departments=("housing-fund", "taxation"))
ALL = Principal(id="s3", role="supervisor", name="督导", departments=("*",))
AGENT = Principal(id="a1", role="agent", name="坐席", departments=("housing-fund",))


def test_conversation_search_stays_in_scope():
    assert conversations.search_filter(request("/x", AGENT), AGENT) == {"served_by": "a1"}
    assert conversations.search_filter(request("/x", SUPER), SUPER) == {"department": {"$in": ["housing-fund"]}}
    assert conversations.search_filter(request("/x?state=queued", ALL), ALL) == {"state": "queued"}
    with pytest.raises(ApiError) as exc:
        conversations.search_filter(request("/x?department=taxation", SUPER), SUPER)
    assert exc.value.status == 403
    q = conversations.search_filter(request("/x?from=2026-01-01", ALL), ALL)
    assert q["created_at"]["$gte"].isoformat() == "2026-01-01T00:00:00+08:00"


def test_kpi_department_of_supervisors():
    assert reports.kpi_department(request("/k", SUPER)) == "housing-fund"
    assert reports.kpi_department(request("/k", ALL)) is None
    assert reports.kpi_department(request("/k?department=taxation", SUPER2)) == "taxation"
    for who, path in ((SUPER, "/k?department=taxation"), (SUPER2, "/k")):
        with pytest.raises(ApiError):
            reports.kpi_department(request(path, who))


def test_callback_model_matches_the_hotline_contract():
    schema = hotline.CallbackIn.model_json_schema()
    assert schema["required"] == ["ticket_id", "status"] and schema["additionalProperties"] is False
    assert schema["properties"]["status"]["enum"] == ["accepted", "processing", "resolved", "rejected", "closed"]

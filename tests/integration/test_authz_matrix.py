"""The authorization matrix of every HTTP route in `/api/v1/openapi.json` (lite system: one bridge, no Rasa).

Each operation is called as anonymous, a user, an agent, a supervisor of another department, a trainer and
the offline helpers (window_staff, volunteer, official).
The expectation comes from the route's declared `auth` (OpenAPI `security` and `x-roles`): a public route
refuses nobody; a token route refuses only the anonymous caller (401); a role route answers 401 without a
token and 403 to the roles it does not list; a signed route (the 12345 callback) refuses every unsigned call.
Allowed callers get neither 401 nor 403 (their calls use unknown ids and empty bodies, so 400/404 are fine),
and nobody gets a 5xx.
"""

from __future__ import annotations

import re
import uuid

from bridge.admin import create_agent
from tests.integration.systems import MultiHarness
from tests.support import STAFF_PASSWORD

ROLES = ("anonymous", "user", "agent", "supervisor", "trainer", "window_staff", "volunteer", "official")
# Operations whose allowed call would start real work: only their refusals are checked.
REFUSALS_ONLY = {("POST", "/api/v1/trainer/train"): "starts a Rasa training run"}
# Operations past whose guard a per-conversation check answers 403 for a conversation the caller may not
# see (an unknown id included, so as not to tell which exist): allowed roles may get that 403 here; the
# per-conversation rules are walked with a real conversation in test_attacks.py.
CONVERSATION_CHECKED = {"/api/v1/conversations/{cid}", "/api/v1/conversations/{cid}/transcript",
                        "/api/v1/phone/calls/{cid}", "/api/v1/phone/calls/{cid}/notes"}
# This system has no Rasa: these answer 503 by design (as documented).
UNAVAILABLE_WITHOUT_RASA = {("GET", "/healthz"), ("POST", "/api/v1/trainer/parse")}
GUARD = (401, 403)


def expected(op: dict, role: str) -> int | None:
    """401 or 403 when `role` must be refused by the guard, None when it must get through."""
    security = op.get("security") or []
    if not security:
        return None
    scheme = next(iter(security[0]))
    if scheme in ("signature", "rasa_token"):  # machine credentials: no person's token opens them
        return 401
    if role == "anonymous":
        return 401
    roles = op.get("x-roles")
    if roles is None or role in roles:
        return None
    return 403


async def test_every_route_answers_each_role_as_its_auth_declares(lh: MultiHarness):
    status, document = await lh.http("GET", "/api/v1/openapi.json")
    assert status == 200
    tokens: dict[str, str | None] = {"anonymous": None, "user": await lh.user_token()}
    for role, deps in (("agent", ["housing-fund"]), ("supervisor", ["taxation"]), ("trainer", [])):
        username, _ = await lh.make_staff(deps, role)
        tokens[role] = await lh.staff_token(username)
    for role in ("window_staff", "volunteer", "official"):  # offline helpers: a hall (and window), no department
        username = f"{role[:3]}-{uuid.uuid4().hex[:8]}"
        await create_agent(lh.store, username, STAFF_PASSWORD, "线下帮办", [], role, hall="徐汇区行政服务中心",
                           window="3号窗口" if role == "window_staff" else "")
        tokens[role] = await lh.staff_token(username)
    wrong, calls = [], 0
    for path, ops in document["paths"].items():
        url = re.sub(r"\{[^}]+\}", "no-such-id", path)
        for method, op in ops.items():
            method = method.upper()
            for role in ROLES:
                want = expected(op, role)
                if want is None and (method, path) in REFUSALS_ONLY:
                    continue
                kw = {"json": {}} if "requestBody" in op and method != "GET" else {}
                status, body = await lh.http(method, url, token=tokens[role], **kw)
                calls += 1
                if want is None and path in CONVERSATION_CHECKED and status == 403:
                    continue
                if (method, path) in UNAVAILABLE_WITHOUT_RASA and status == 503:
                    continue
                if status >= 500 or (want is None and status in GUARD) or (want is not None and status != want):
                    wrong.append(f"{role} {method} {path}: {status} {str(body)[:120]}, expected "
                                 f"{want or 'neither 401 nor 403'}")
    assert not wrong, "\n".join(wrong)
    operations = sum(len(ops) for ops in document["paths"].values())
    assert calls >= len(ROLES) * operations - len(ROLES) * len(REFUSALS_ONLY), (calls, operations)
    for covered in ("/api/v1/media/{media_id}", "/api/v1/media/{media_id}/link", "/api/v1/trainer/files",
                    "/api/v1/ledger/export", "/api/v1/ledger/{eid}", "/api/v1/hotline/callback",
                    "/api/v1/cti/events", "/api/v1/phone/calls/{cid}", "/api/v1/phone/calls/{cid}/notes",
                    "/api/v1/help-hours", "/api/v1/models/{name}",
                    "/api/v1/offline-help/problems", "/api/v1/offline-help/summary", "/api/v1/agents"):
        assert covered in document["paths"], covered
    for covered in ("/api/v1/trainer/stories", "/api/v1/trainer/stories/check", "/api/v1/trainer/stories/graph",
                    "/api/v1/trainer/learn", "/api/v1/trainer/learn/save", "/api/v1/trainer/story-tests",
                    "/api/v1/trainer/story-tests/run", "/api/v1/trainer/stories/move"):
        assert covered in document["paths"], covered  # the story editor, learning and story tests
    for covered in ("/api/v1/trainer/reviews", "/api/v1/trainer/reviews/{cid}", "/api/v1/trainer/reviews/{cid}/claim",
                    "/api/v1/trainer/reviews/{cid}/done", "/api/v1/trainer/reviews/{cid}/nlu",
                    "/api/v1/trainer/reviews/{cid}/draft", "/api/v1/trainer/reviews/{cid}/test-story",
                    "/api/v1/trainer/kb/verified"):
        assert covered in document["paths"], covered  # conversation review and the KB by verified date
    for covered in ("/api/v1/trainer/matters", "/api/v1/trainer/matters/{mid}", "/api/v1/trainer/matters/import",
                    "/api/v1/trainer/matters/{mid}/retire", "/api/v1/trainer/matters/{mid}/export"):
        assert covered in document["paths"], covered  # matter authoring

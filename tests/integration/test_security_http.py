"""Issue 14 through a real bridge: trainer paths, department scope, exports, callbacks, media URLs, headers."""

from __future__ import annotations

from pathlib import Path

import aiohttp


def trainer_root(h) -> Path:
    return Path(h.system.cfg.extra_env["BANGBAN_TRAINER_ROOT"])


async def test_trainer_file_paths_outside_the_editable_files_are_refused_and_nothing_changes(lh):
    username, _ = await lh.make_staff([], "trainer")
    token = await lh.staff_token(username)
    root = trainer_root(lh)
    kb = next((root / "data/kb").glob("*.yml"))
    kb_before = kb.read_text(encoding="utf-8")
    rules_before = (root / "data/rules.yml").read_text(encoding="utf-8")
    attempts = [f"data/nlu/../kb/{kb.name}", str(kb), f"data/kb/{kb.name}", "data/nlu/./../rules.yml",
                str(root / "data/rules.yml"), "data//rules.yml", "data\\rules.yml", "domain.yml",
                "data/nlu/../../domain.yml", "data/nlu/sub/x.yml"]
    for path in attempts:
        status, body = await lh.http("PUT", "/api/v1/trainer/files", token=token,
                                     json={"path": path, "text": "rules: []\n"})
        assert status == 400 and body["error"]["code"] == "invalid_path", (path, status, body)
        status, _ = await lh.http("GET", "/api/v1/trainer/files", token=token, params={"path": path})
        assert status == 404, path
    assert kb.read_text(encoding="utf-8") == kb_before
    assert (root / "data/rules.yml").read_text(encoding="utf-8") == rules_before
    status, body = await lh.http("GET", "/api/v1/trainer/files", token=token, params={"path": "data/rules.yml"})
    assert status == 200 and body["text"] == rules_before


async def test_panes_are_served_with_a_strict_policy_and_foreign_origins_get_no_cors(lh):
    from bridge.transport.http.panes import PANE_NAMES

    for pane in PANE_NAMES:
        async with aiohttp.ClientSession() as s, s.get(f"{lh.base_url}/{pane}") as r:
            assert r.status == 200
            csp = r.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in \
                csp.split("script-src", 1)[1].split(";")[0], (pane, csp)
            assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Referrer-Policy"] == "no-referrer"
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert "<script>" not in await r.text(), pane  # no inline scripts: the CSP would block them
    async with aiohttp.ClientSession() as s:
        async with s.options(f"{lh.base_url}/api/v1/agents/login", headers={
                "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}) as r:
            assert r.status == 403 and "Access-Control-Allow-Origin" not in r.headers
        async with s.get(f"{lh.base_url}/healthz", headers={"Origin": "https://evil.example"}) as r:
            assert "Access-Control-Allow-Origin" not in r.headers
        async with s.get(f"{lh.base_url}/healthz", headers={"Origin": lh.base_url}) as r:
            assert r.headers["Access-Control-Allow-Origin"] == lh.base_url
        # Socket.IO refuses a handshake from a foreign origin, accepts the panes' own
        url = f"{lh.base_url}/socket.io/?EIO=4&transport=polling"
        async with s.get(url, headers={"Origin": "https://evil.example"}) as r:
            assert r.status == 400
        async with s.get(url, headers={"Origin": lh.base_url}) as r:
            assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == lh.base_url

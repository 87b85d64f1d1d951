"""Issue 14 through a real bridge: trainer paths, department scope, exports, callbacks, media URLs, headers."""

from __future__ import annotations

from pathlib import Path


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

"""The /user contract driven by the official socket.io-client under Node (what the JS clients use)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

NODE_DIR = Path(__file__).resolve().parent.parent / "node"


def _ensure_modules() -> None:
    if not (NODE_DIR / "node_modules" / "socket.io-client").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, capture_output=True)


async def test_official_js_client_speaks_the_contract(h):
    _ensure_modules()
    token = await h.user_token(name="Node用户", channel="wechat")
    proc = await asyncio.create_subprocess_exec(
        "node", "user_flow.mjs", h.base_url, token, "forged.token.value", cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["bad_token"]["code"] == "unauthorized"
    ack = report["ack"]
    assert ack["ok"] and ack["seq"] == 1 and ack["conversation_id"]
    bot = report["bot"]
    assert bot["conversation_id"] == ack["conversation_id"] and bot["seq"] >= 2
    assert set(bot["meta"]) >= {"intent", "confidence", "matter", "kb_article", "scope"}
    assert report["resend"]["seq"] == 1 and report["resend"]["conversation_id"] == ack["conversation_id"]
    assert report["invalid"]["ok"] is False and report["invalid"]["error"]["code"] == "invalid_payload"
    seqs = [m["seq"] for m in report["sync"]["messages"]]
    assert seqs == list(range(1, len(seqs) + 1)) and report["sync"]["state"] == "bot"

"""A stand-in for the call centre (development and tests): it plays calls as CTI events to the bridge.

`python -m ops.cti_standin --port 8091 --bridge http://127.0.0.1:8080`
- GET /: a small page to place a fake call (line, IVR choice, caller number, who answers);
- POST /calls `{line, caller, ivr?, staff_id?, talk_s?, ring_s?}`: rings at once, then (in the
  background, with realistic pauses) answers by `staff_id` after `ring_s` and hangs up after `talk_s`;
  answers with the bridge's answer to `ringing` (an out-of-hours announcement when the line is closed);
- POST /calls/{call_id}/{answered|transferred|ended} `{staff_id?, to_department?}`: one event now;
- GET /calls: every call placed, with the bridge's answer to each event.
Each event is signed with CTI_SECRET (core/signatures.py) exactly as a real CTI adapter must sign it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import secrets

import aiohttp
from aiohttp import web

from core import signatures
from core.settings import load_settings

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>呼叫中心模拟器</title>
<style>body{font:15px system-ui,sans-serif;max-width:560px;margin:2em auto}label{display:block;margin:.6em 0}
input,select{font:inherit;padding:.3em;width:100%}button{font:inherit;padding:.4em 1.2em;margin-top:.8em}
pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap}</style></head><body>
<h1>呼叫中心模拟器（开发用）</h1><p>模拟一通来电：振铃、接听、挂断，以签名的CTI事件发送给帮办系统。</p>
<form id="call"><label>热线号码 <select name="line">LINES</select></label>
<label>IVR按键（可空） <input name="ivr" maxlength="8" placeholder="如 1"></label>
<label>来电号码 <input name="caller" required value="13812345678"></label>
<label>接听坐席账号（可空：只振铃） <input name="staff_id" placeholder="如 demo-agent"></label>
<label>振铃秒数 <input name="ring_s" type="number" value="2" min="0"></label>
<label>通话秒数（可空：不自动挂断） <input name="talk_s" type="number" min="0"></label>
<button type="submit" id="place">拨打</button></form><pre id="result" aria-live="polite"></pre>
<script>
document.getElementById('call').addEventListener('submit', async (e) => {
  e.preventDefault();
  const data = Object.fromEntries(new FormData(e.target).entries());
  for (const k of Object.keys(data)) if (data[k] === '') delete data[k];
  for (const k of ['ring_s', 'talk_s']) if (k in data) data[k] = Number(data[k]);
  const r = await fetch('/calls', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                   body: JSON.stringify(data)});
  const answer = await r.json();
  const said = answer.answer?.announcement ? `语音播报：${answer.answer.announcement}\n\n` : '';
  document.getElementById('result').textContent = said + JSON.stringify(answer, null, 2);
});
</script></body></html>"""


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class CallCentre:
    def __init__(self, bridge: str, secret: str, lines: list[str]) -> None:
        self.url = f"{bridge.rstrip('/')}/api/v1/cti/events"
        self.secret = secret
        self.lines = lines
        self.calls: dict[str, dict] = {}
        self.tasks: set[asyncio.Task] = set()

    async def send(self, call: dict, event: str, **extra) -> dict:
        """Sign and send one event of `call`; the bridge's status and answer."""
        seq = sum(1 for e in call["events"] if e["event"] == event)
        payload = {"event": event, "call_id": call["call_id"], "seq": seq, "line": call["line"],
                   "caller": call["caller"], "at": now_iso(), "ivr": call.get("ivr"),
                   **{k: v for k, v in extra.items() if v}}
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **signatures.signed_headers(self.secret, body)}
        async with aiohttp.ClientSession() as s, s.post(self.url, data=body, headers=headers) as r:
            answer = {"event": event, "status": r.status, "answer": await r.json(content_type=None)}
        call["events"].append(answer)
        return answer

    async def play(self, call: dict, staff_id: str | None, ring_s: float, talk_s: float | None) -> None:
        """The rest of a call: picked up after `ring_s`, hung up after `talk_s` (seconds)."""
        if staff_id:
            await asyncio.sleep(ring_s)
            await self.send(call, "answered", staff_id=staff_id)
        if talk_s is not None:
            await asyncio.sleep(talk_s)
            await self.send(call, "ended", reason="caller_hangup")

    async def place(self, spec: dict) -> dict:
        call = {"call_id": f"C-{dt.datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}", "line": spec["line"],
                "caller": spec["caller"], "ivr": spec.get("ivr"), "events": []}
        self.calls[call["call_id"]] = call
        first = await self.send(call, "ringing")
        if first["status"] == 200 and first["answer"].get("accepted"):
            task = asyncio.create_task(self.play(call, spec.get("staff_id"), float(spec.get("ring_s", 2)),
                                                 spec.get("talk_s")))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return {"call_id": call["call_id"], **first}


def make_app(centre: CallCentre) -> web.Application:
    app = web.Application()

    async def page(request: web.Request) -> web.Response:
        options = "".join(f'<option value="{line}">{line}</option>' for line in centre.lines)
        return web.Response(text=PAGE.replace("LINES", options), content_type="text/html", charset="utf-8")

    async def place(request: web.Request) -> web.Response:
        spec = await request.json()
        if not spec.get("line") or not spec.get("caller"):
            return web.json_response({"error": "line and caller are required"}, status=400)
        return web.json_response(await centre.place(spec))

    async def event(request: web.Request) -> web.Response:
        call = centre.calls.get(request.match_info["call_id"])
        if call is None:
            return web.json_response({"error": "unknown call"}, status=404)
        spec = await request.json() if request.can_read_body else {}
        return web.json_response(await centre.send(call, request.match_info["event"], **spec))

    async def listing(request: web.Request) -> web.Response:
        return web.json_response({"calls": list(centre.calls.values())})

    app.add_routes([web.get("/", page), web.post("/calls", place), web.get("/calls", listing),
                    web.post("/calls/{call_id}/{event:answered|transferred|ended}", event)])
    return app


def main() -> None:
    p = argparse.ArgumentParser(description="call-centre (CTI) stand-in")
    p.add_argument("--bridge", default=None, help="the bridge's base URL (BANGBAN_PUBLIC_URL)")
    p.add_argument("--port", type=int, default=None, help="CTI_STANDIN_PORT")
    p.add_argument("--host", default="127.0.0.1")
    args = p.parse_args()
    settings = load_settings()
    if not settings.cti_secret:
        raise SystemExit("CTI stand-in: CTI_SECRET: must be set")
    from core.catalogue import load_catalogue

    lines = list(load_catalogue(settings.data_dir).phone_lines)
    centre = CallCentre(args.bridge or settings.public_url, settings.cti_secret, lines)
    web.run_app(make_app(centre), host=args.host, port=args.port or settings.cti_standin_port, print=None,
                access_log=None)


if __name__ == "__main__":
    main()

"""Run under Rasa's Python by test_rasa_tracker_store.py: bot/rasa_action_calls.py against Rasa's own check.

Prints JSON: for each action-server response, whether Rasa's stock `jsonschema.validate` and the installed
check accept it; and how many TCP connections two endpoint configurations used for six requests to a
local HTTP server.
"""

# ruff: noqa: UP006, UP035 - Rasa 3.6 runs on Python 3.10
from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List

import jsonschema
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

import bot.rasa_tracker_store  # noqa: F401 - installs bot.rasa_action_calls, as in the Rasa server

RESPONSES: List[Any] = [
    {"events": [{"event": "slot", "name": "matter", "value": "housing-fund-withdrawal", "timestamp": None},
                {"event": "bot", "text": "答"}, {"event": "followup", "name": "action_listen"}],
     "responses": [{"text": "答", "custom": {"kind": "answer"}}]},
    {"events": [], "responses": []}, {}, {"responses": [{"text": "只有回复"}]},
    {"events": [{"event": "user", "text": "问", "parse_data": {"intent": {"name": "ask", "confidence": 1.0},
                                                               "entities": []}}]},
    {"events": [{"event": "slot"}]}, {"events": [{"event": "nope"}]}, {"events": [{"name": "x"}]},
    {"events": "x"}, {"events": None}, {"responses": [1]}, {"events": [{"event": "slot", "name": 3, "value": 1}]},
    {"events": [{"event": "user", "text": "x", "parse_data": {"intent": "bad"}}]}, {"events": [1]},
    {"events": [{"event": "bot", "text": "x", "timestamp": "soon"}]}, [], "x",
]


def check(result: Any) -> bool:
    try:
        return RemoteAction._validate_action_result(RemoteAction.__new__(RemoteAction), result)
    except jsonschema.ValidationError:
        return False


def stock(result: Any) -> bool:
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
        return True
    except jsonschema.ValidationError:
        return False


async def connections_used() -> int:
    peers = set()

    async def webhook(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername"))
        return web.json_response({"events": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    for endpoint in (EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="t"),
                     EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="t")):
        for _ in range(3):
            assert await endpoint.request(json={"next_action": "x"}, method="post") == {"events": []}
    await runner.cleanup()
    return len(peers)


def main() -> None:
    out: Dict[str, Any] = {"verdicts": [[stock(r), check(r)] for r in RESPONSES],
                           "connections": asyncio.run(connections_used())}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Rasa-side cost of a custom-action call: kept-alive HTTP connections and a dispatching response check.

Installed in the Rasa server (Python 3.10) on import; `bot.rasa_tracker_store`, which endpoints.yml names,
imports it, so it needs no retraining (bot/rasa_speedups.py is a training input). Two costs of every
`RemoteAction` call, both measured with py-spy during `bench.new_conversations` (together about a quarter
of Rasa's CPU per turn):

- Rasa's `EndpointConfig.request` opens a new `aiohttp.ClientSession`, hence a new TCP connection to the
  action server, for every call. Here `EndpointConfig.session()` hands out one session per endpoint
  configuration and event loop that is kept open, so connections are reused; a connection idle for
  `KEEPALIVE_S` is closed by the client, well before the action server (Sanic, 120 s) would close it,
  so a request never goes out on a connection the server is closing.
- The response check validates every event against `oneOf` 23 event schemas. Each of them fixes
  `event` to a different constant, so an event is valid exactly when it is valid against the common
  part and the one schema of its own `event`: that is checked here, with validators built once. Whatever
  does not pass this way goes through the full check of bot/rasa_speedups.py, so a bad response fails
  with the same error as before.
"""

# ruff: noqa: UP006, UP035, UP045 - Rasa 3.6 runs on Python 3.10
from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional, Tuple

import aiohttp
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from bot import rasa_speedups

KEEPALIVE_S = 2.0

_sessions: Dict[Tuple[int, int], aiohttp.ClientSession] = {}


class _KeptSession:
    """`async with` over a shared session that leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        return None


_stock_session = EndpointConfig.session


def _session(self: EndpointConfig) -> Any:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _stock_session(self)
    key = (id(self), id(loop))
    session = _sessions.get(key)
    if session is None or session.closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = _sessions[key] = aiohttp.ClientSession(
            headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S))
    return _KeptSession(session)


def _event_validators() -> Optional[Tuple[Any, Dict[str, Any]]]:
    """(validator of a response without its events, validator of an event by its `event`), or None if the
    event schemas are not told apart by a constant `event` (then only the full check runs)."""
    from jsonschema import validators

    spec = RemoteAction.action_response_format_spec()
    event_schema = spec["properties"]["events"]["items"]
    common = {k: v for k, v in event_schema.items() if k != "oneOf"}
    by_name: Dict[str, Any] = {}
    for alternative in event_schema["oneOf"]:
        name = alternative.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or name in by_name:
            return None
        schema = {"allOf": [common, alternative]}
        by_name[name] = validators.validator_for(schema)(schema)
    shell = {**spec, "properties": {**spec["properties"], "events": {"type": "array"}}}
    return validators.validator_for(shell)(shell), by_name


_validators: Any = False  # not built yet


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    global _validators
    if _validators is False:
        _validators = _event_validators()
    if _validators is not None:
        shell, by_name = _validators
        events = result.get("events", []) if isinstance(result, dict) else None
        if shell.is_valid(result) and isinstance(events, list) and all(
                isinstance(e, dict) and isinstance(e.get("event"), str) and e["event"] in by_name
                and by_name[e["event"]].is_valid(e) for e in events):
            return True
    return rasa_speedups._validate_action_result(self, result)


EndpointConfig.session = _session  # type: ignore[method-assign]
RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]

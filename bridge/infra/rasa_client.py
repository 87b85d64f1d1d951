"""HTTP client of the Rasa server: REST channel webhook and readiness."""

from __future__ import annotations

from typing import Any

import aiohttp


class BotUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


class BotUnreachable(BotUnavailable):
    """The server could not be reached, or dropped the connection: another server may take the turn."""


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float, token: str = "") -> None:
        self.base_url = base_url
        self.auth = {"token": token} if token else {}  # Rasa's --auth-token, sent as ?token= on its HTTP API
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one user message through the REST channel; return the bot's outputs."""
        url = f"{self.base_url}/webhooks/rest/webhook"
        try:
            async with self._http().post(url, json={"sender": sender, "message": text, "metadata": metadata}) as r:
                if r.status != 200:
                    raise BotUnavailable(f"rasa answered {r.status}")
                data = await r.json(content_type=None)
        except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError) as exc:
            raise BotUnreachable(str(exc) or type(exc).__name__) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BotUnavailable(str(exc) or type(exc).__name__) from exc
        if not isinstance(data, list):
            raise BotUnavailable("unexpected webhook answer")
        return data

    async def ready(self) -> bool:
        """True when the server is up with a model loaded."""
        try:
            async with self._http().get(f"{self.base_url}/status", params=self.auth,
                                        timeout=aiohttp.ClientTimeout(total=2)) as r:
                if r.status == 200:
                    body = await r.json(content_type=None)
                    return bool(body.get("model_file") or body.get("model_id"))
                async with self._http().get(self.base_url + "/", timeout=aiohttp.ClientTimeout(total=2)) as r2:
                    return r2.status == 200
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

"""What every notification provider takes and answers, and the HTTP session they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import aiohttp

# sent; retry later (the service is down or busy); refused for this citizen (no consent, unknown user:
# skipped, never retried); failed for good (our request is wrong: dead-lettered at once)
State = Literal["sent", "retry", "refused", "failed"]


@dataclass(frozen=True)
class Notice:
    """One notification as the outbox hands it to a provider."""

    key: str  # idempotency key (the outbox item's id)
    kind: str
    to: str  # openid, Alipay user id, portal user id or phone number, by provider
    template_id: str
    data: dict[str, str] = field(default_factory=dict)
    title: str = ""
    text: str = ""
    page: str = ""


@dataclass(frozen=True)
class Outcome:
    state: State
    code: str = ""  # the service's error code, or HTTP status
    detail: str = ""

    @classmethod
    def of_http(cls, status: int, text: str = "") -> Outcome:
        """An HTTP failure: 5xx, 408 and 429 are worth a retry, other codes are our mistake."""
        retry = status >= 500 or status in (408, 429)
        return cls("retry" if retry else "failed", f"HTTP {status}", text[:200])


class Provider(Protocol):
    name: str

    @property
    def configured(self) -> bool: ...

    async def send(self, notice: Notice) -> Outcome: ...

    async def close(self) -> None: ...


class HttpClient:
    """A lazily opened aiohttp session with short timeouts (one per provider)."""

    def __init__(self, timeout_s: float = 5.0) -> None:
        self.timeout_s = timeout_s
        self._http: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError)


def network_outcome(exc: BaseException) -> Outcome:
    return Outcome("retry", "network", str(exc) or type(exc).__name__)

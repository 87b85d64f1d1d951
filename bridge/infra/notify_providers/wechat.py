"""WeChat mini-program subscription messages (订阅消息).

- `GET /cgi-bin/token?grant_type=client_credential&appid=&secret=` → `{access_token, expires_in}`; the
  token is cached until shortly before it expires and fetched again at once when a send answers
  errcode 40001 (invalid credential) or 42001 (expired).
- `POST /cgi-bin/message/subscribe/send?access_token=` with `{touser, template_id, page, data: {key: {value}},
  miniprogram_state, lang}` → `{errcode, errmsg}`. errcode 0 sent; 43101 the citizen refused or has no
  subscription left (skipped); 47003 template parameters wrong (dead-lettered); -1 busy (retried).
"""

from __future__ import annotations

import asyncio
import time

from bridge.infra.notify_providers.base import NETWORK_ERRORS, HttpClient, Notice, Outcome, network_outcome

TOKEN_EXPIRED = (40001, 42001)
REFUSED = (43101, 40003)  # no subscription left / invalid openid
BUSY = (-1, 45009)  # system busy / daily quota reached: later
TOKEN_MARGIN_S = 300


class WeChat:
    name = "wechat"

    def __init__(self, api_url: str, appid: str, secret: str, state: str = "formal", lang: str = "zh_CN") -> None:
        self.api_url = api_url
        self.appid = appid
        self.secret = secret
        self.state = state
        self.lang = lang
        self.http = HttpClient()
        self._token: tuple[str, float] | None = None  # (token, monotonic expiry)
        self._token_lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.api_url and self.appid and self.secret)

    async def access_token(self, refresh: bool = False) -> str:
        """The cached access token, fetched when missing, near its expiry or `refresh`ed."""
        async with self._token_lock:
            if not refresh and self._token and self._token[1] > time.monotonic():
                return self._token[0]
            params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
            async with self.http.session().get(f"{self.api_url}/cgi-bin/token", params=params) as r:
                body = await r.json(content_type=None)
            if r.status != 200 or not isinstance(body, dict) or not body.get("access_token"):
                raise TokenError(str(body.get("errcode", r.status) if isinstance(body, dict) else r.status))
            ttl = max(60.0, float(body.get("expires_in", 7200)) - TOKEN_MARGIN_S)
            self._token = (body["access_token"], time.monotonic() + ttl)
            return self._token[0]

    def message(self, notice: Notice) -> dict:
        """The body of `subscribe/send` for `notice`."""
        return {"touser": notice.to, "template_id": notice.template_id, "page": notice.page,
                "data": {k: {"value": v} for k, v in notice.data.items()},
                "miniprogram_state": self.state, "lang": self.lang}

    async def send(self, notice: Notice) -> Outcome:
        try:
            outcome = await self._send_once(notice, refresh=False)
            if outcome.state == "retry" and outcome.code in {str(c) for c in TOKEN_EXPIRED}:
                outcome = await self._send_once(notice, refresh=True)
            return outcome
        except TokenError as exc:
            return Outcome("retry", f"token {exc}", "access token refused")
        except NETWORK_ERRORS as exc:
            return network_outcome(exc)
        except ValueError as exc:  # not JSON: a proxy's error page
            return Outcome("retry", "bad_response", str(exc)[:200])

    async def _send_once(self, notice: Notice, refresh: bool) -> Outcome:
        token = await self.access_token(refresh)
        url = f"{self.api_url}/cgi-bin/message/subscribe/send"
        async with self.http.session().post(url, params={"access_token": token}, json=self.message(notice)) as r:
            if r.status != 200:
                return Outcome.of_http(r.status, await r.text())
            body = await r.json(content_type=None)
        return errcode_outcome(body.get("errcode", -1) if isinstance(body, dict) else -1,
                               str(body.get("errmsg", "")) if isinstance(body, dict) else "")

    async def close(self) -> None:
        await self.http.close()


class TokenError(Exception):
    """The token endpoint refused (its errcode or HTTP status)."""


def errcode_outcome(errcode: int, errmsg: str = "") -> Outcome:
    """What an errcode of `subscribe/send` means for the outbox."""
    if errcode == 0:
        return Outcome("sent")
    if errcode in TOKEN_EXPIRED or errcode in BUSY:
        return Outcome("retry", str(errcode), errmsg)
    if errcode in REFUSED:
        return Outcome("refused", str(errcode), errmsg)
    return Outcome("failed", str(errcode), errmsg)

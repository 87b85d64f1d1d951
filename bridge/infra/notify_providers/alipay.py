"""Alipay mini-program subscription messages through the open API gateway.

`POST <gateway>` (form-encoded, UTF-8) with the common parameters `app_id, method, format=JSON,
charset=utf-8, sign_type=RSA2, timestamp (yyyy-MM-dd HH:mm:ss, Beijing time), version=1.0, biz_content`
and `sign` (RSA2 over the sorted parameters, `rsa2.py`); method `alipay.open.app.mini.templatemessage.send`,
biz_content `{to_user_id, user_template_id, page, data}` (data a JSON text `{key: {value}}`). The answer's
`alipay_open_app_mini_templatemessage_send_response` node is verified with Alipay's public key; code 10000
sent, 20000 unavailable (retried), 40004 with a user sub_code refused, other codes failed.
"""

from __future__ import annotations

import datetime as dt
import json

from bridge.infra.notify_providers import rsa2
from bridge.infra.notify_providers.base import NETWORK_ERRORS, HttpClient, Notice, Outcome, network_outcome

METHOD = "alipay.open.app.mini.templatemessage.send"
NODE = METHOD.replace(".", "_") + "_response"
BEIJING = dt.timezone(dt.timedelta(hours=8))
USER_SUB_CODES = ("USER_NOT_SUBSCRIBE", "USER_TEMPLATE_ILLEGAL", "USER_NOT_EXIST", "INVALID_USER")


class Alipay:
    name = "alipay"

    def __init__(self, gateway_url: str, app_id: str, private_pem: bytes, alipay_public_pem: bytes) -> None:
        self.gateway_url = gateway_url
        self.app_id = app_id
        self._key = rsa2.private_key(private_pem) if private_pem else None
        self._alipay_key = rsa2.public_key(alipay_public_pem) if alipay_public_pem else None
        self.http = HttpClient()

    @property
    def configured(self) -> bool:
        return bool(self.gateway_url and self.app_id and self._key and self._alipay_key)

    def params(self, notice: Notice, at: dt.datetime | None = None) -> dict[str, str]:
        """The signed request parameters for `notice`."""
        assert self._key is not None
        biz = {"to_user_id": notice.to, "user_template_id": notice.template_id, "page": notice.page,
               "data": json.dumps({k: {"value": v} for k, v in notice.data.items()}, ensure_ascii=False)}
        t = (at or dt.datetime.now(dt.UTC)).astimezone(BEIJING)
        params = {"app_id": self.app_id, "method": METHOD, "format": "JSON", "charset": "utf-8",
                  "sign_type": "RSA2", "timestamp": f"{t:%Y-%m-%d %H:%M:%S}", "version": "1.0",
                  "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":"))}
        params["sign"] = rsa2.sign(self._key, rsa2.signing_content(params))
        return params

    async def send(self, notice: Notice) -> Outcome:
        try:
            async with self.http.session().post(self.gateway_url, data=self.params(notice), headers={
                    "Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}) as r:
                text = await r.text()
                if r.status != 200:
                    return Outcome.of_http(r.status, text)
        except NETWORK_ERRORS as exc:
            return network_outcome(exc)
        return self.outcome(text)

    def outcome(self, text: str) -> Outcome:
        """What a gateway answer means, after its signature is checked."""
        assert self._alipay_key is not None
        node = rsa2.response_node(text, NODE) or rsa2.response_node(text, "error_response")
        try:
            signature = json.loads(text).get("sign", "")
            answer = json.loads(node or "")
        except (ValueError, AttributeError):
            return Outcome("retry", "bad_response", text[:200])
        if not node or not rsa2.verify(self._alipay_key, node, signature):
            return Outcome("failed", "bad_response_signature", "the gateway's answer is not signed by Alipay")
        code, sub_code = str(answer.get("code", "")), str(answer.get("sub_code", ""))
        detail = f"{answer.get('msg', '')} {answer.get('sub_msg', '')}".strip()
        if code == "10000":
            return Outcome("sent")
        if code == "20000":
            return Outcome("retry", code, detail)
        if code == "40004" and any(s in sub_code.upper() for s in USER_SUB_CODES):
            return Outcome("refused", sub_code, detail)
        return Outcome("failed", sub_code or code, detail)

    async def close(self) -> None:
        await self.http.close()

"""The SMS platform: `POST <SMS_URL>/v1/sms`, HMAC-signed JSON (`signed_json.py`), verified numbers only.

Body `{phone, sign_name, template_code, params}` (the platform holds the approved template texts);
code 0 accepted, 2001 (the number unsubscribed) and 2002 (not a mobile number) refused.
"""

from __future__ import annotations

from bridge.infra.notify_providers.base import Notice, Outcome
from bridge.infra.notify_providers.signed_json import SignedJson

UNSUBSCRIBED, NOT_MOBILE = 2001, 2002


class Sms:
    name = "sms"

    def __init__(self, url: str, secret: str, sign_name: str) -> None:
        self.client = SignedJson(f"{url}/v1/sms" if url else "", "bangban", secret, (UNSUBSCRIBED, NOT_MOBILE))
        self.sign_name = sign_name

    @property
    def configured(self) -> bool:
        return self.client.configured

    async def send(self, notice: Notice) -> Outcome:
        return await self.client.post(notice, {"phone": notice.to, "sign_name": self.sign_name,
                                               "template_code": notice.template_id, "params": notice.data})

    async def close(self) -> None:
        await self.client.close()

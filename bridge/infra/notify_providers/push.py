"""The 随申办 app's push gateway: `POST <PUSH_URL>/v1/messages`, HMAC-signed JSON (`signed_json.py`).

Body `{user_id, title, body, page, kind}` where `user_id` is the citizen's portal id (the token's `sub`);
code 0 pushed, 1001 (no device registered for the user) and 1002 (the user turned pushes off) refused.
"""

from __future__ import annotations

from bridge.infra.notify_providers.base import Notice, Outcome
from bridge.infra.notify_providers.signed_json import SignedJson

NO_DEVICE, PUSH_OFF = 1001, 1002


class AppPush:
    name = "push"

    def __init__(self, url: str, app_key: str, secret: str) -> None:
        self.client = SignedJson(f"{url}/v1/messages" if url else "", app_key, secret, (NO_DEVICE, PUSH_OFF))

    @property
    def configured(self) -> bool:
        return self.client.configured

    async def send(self, notice: Notice) -> Outcome:
        return await self.client.post(notice, {"user_id": notice.to, "title": notice.title, "body": notice.text,
                                               "page": notice.page, "kind": notice.kind})

    async def close(self) -> None:
        await self.client.close()

"""A stand-in for Rasa's REST webhook on Rasa's port, for the bot-turn fault tests."""

from __future__ import annotations

import asyncio

from aiohttp import web


class RasaStandIn:
    """Answers "小申答：<text>" at once, except that the first request for a text in `hold` is kept
    unanswered (the bridge's turn is in flight) until `release` (all) or `release_text(text)` is set."""

    def __init__(self, port: int, hold: set[str]) -> None:
        self.port, self.hold = port, hold
        self.requests: list[tuple[str, str]] = []  # (sender, message)
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        self.held_texts: dict[str, asyncio.Event] = {t: asyncio.Event() for t in hold}
        self.released: dict[str, asyncio.Event] = {t: asyncio.Event() for t in hold}
        self.runner: web.AppRunner | None = None

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, text = body.get("sender"), body.get("message")
        self.requests.append((sender, text))
        if text in self.hold:
            self.hold.discard(text)
            self.held.set()
            self.held_texts[text].set()
            release_one = asyncio.ensure_future(self.released[text].wait())
            release_all = asyncio.ensure_future(self.release.wait())
            await asyncio.wait({release_one, release_all}, return_when=asyncio.FIRST_COMPLETED)
            release_one.cancel()
            release_all.cancel()
        return web.json_response([{"recipient_id": sender, "text": f"小申答：{text}"}])

    def release_text(self, text: str) -> None:
        self.released[text].set()

    async def start(self) -> RasaStandIn:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        self.release.set()
        if self.runner is not None:
            await self.runner.cleanup()

    def count(self, text: str) -> int:
        return sum(1 for _, t in self.requests if t == text)

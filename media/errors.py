"""The one error type of the media package and its JSON form."""

from __future__ import annotations

from aiohttp import web


class MediaError(Exception):
    """A refusal with a stable code, a Chinese message fit for users and an HTTP status."""

    def __init__(self, code: str, message_zh: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message_zh}")
        self.code = code
        self.message = message_zh
        self.status = status

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}

    def ack(self) -> dict:
        """The Socket.IO acknowledgement form of this error."""
        return {"ok": False, "error": self.as_dict()}


def media_unavailable() -> MediaError:
    """The bridge process holding the call or co-browse session did not answer (stopped, overloaded)."""
    return MediaError("media_unavailable", "通话或屏幕共享服务暂时不可用，请稍后再试", 503)


def json_error(status: int, code: str, message_zh: str) -> web.Response:
    """`{"error": {"code", "message"}}` with the given status (used when core.errors is absent)."""
    return web.json_response({"error": {"code": code, "message": message_zh}}, status=status)


def error_response(exc: Exception) -> web.Response | None:
    """Turn a MediaError or the bridge's ApiError (duck-typed) into a JSON response."""
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None)
    if isinstance(status, int) and isinstance(code, str) and isinstance(message, str):
        return json_error(status, code, message)
    return None

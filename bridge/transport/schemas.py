"""Payloads of Socket.IO events, validated with pydantic (unknown fields refused)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ack_error

Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class MessageIn(Payload):
    conversation_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    client_msg_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    type: Literal["text", "image", "voice", "file"] = "text"
    text: str | None = Field(default=None, max_length=20000)
    media_id: str | None = Field(default=None, min_length=1, max_length=64)
    matter: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _body(self) -> MessageIn:
        if self.type == "text":
            if not self.text or not self.text.strip():
                raise ValueError("text message needs text")
        elif not self.media_id:
            raise ValueError(f"{self.type} message needs media_id")
        return self


class StaffMessageIn(MessageIn):
    kb_article: str | None = Field(default=None, min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9._-]*$")


class ConversationRef(Payload):
    conversation_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")


class SyncIn(ConversationRef):
    after_seq: int = Field(default=0, ge=0, le=10**9)
    limit: int = Field(default=500, ge=1, le=1000)


class HandoffIn(ConversationRef):
    reason: str | None = Field(default=None, max_length=500)


class TypingIn(ConversationRef):
    on: bool


class ReadIn(ConversationRef):
    seq: int = Field(ge=0, le=10**9)


class RateIn(ConversationRef):
    target: Literal["bot", "agent"]
    score: int = Field(ge=1, le=5)
    resolved: bool
    comment: str | None = Field(default=None, max_length=1000)


class PresenceIn(Payload):
    status: Literal["online", "away", "offline"]


class TransferIn(ConversationRef):
    department: str | None = Field(default=None, min_length=1, max_length=64)
    agent: str | None = Field(default=None, min_length=1, max_length=64)
    note: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _target(self) -> TransferIn:
        if bool(self.department) == bool(self.agent):
            raise ValueError("give exactly one of department or agent")
        return self


class EscalateIn(ConversationRef):
    summary: str = Field(min_length=1, max_length=4000)


class CloseIn(ConversationRef):
    resolved: bool
    kb_suggestion: str | None = Field(default=None, max_length=4000)


class WatchIn(ConversationRef):
    on: bool = True


def parse(model: type[Payload], data: object) -> tuple[Payload | None, dict | None]:
    """Validate `data`; return (model, None) or (None, error ack)."""
    if not isinstance(data, dict):
        return None, ack_error("invalid_payload", detail="payload must be an object")
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
        return None, ack_error("invalid_payload", detail=f"{where}: {first.get('msg', 'invalid')}")


class NotifyConsentIn(Payload):
    """What a mini-program reports after asking the citizen to subscribe (docs/notifications.md)."""

    provider: Literal["wechat", "alipay"]
    accepted: list[str] = Field(default_factory=list, max_length=20)
    rejected: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _ids(self) -> NotifyConsentIn:
        for template in (*self.accepted, *self.rejected):
            if not 1 <= len(template) <= 64 or not template.replace("-", "").replace("_", "").isalnum():
                raise ValueError("template ids are 1-64 letters, digits, - or _")
        if set(self.accepted) & set(self.rejected):
            raise ValueError("a template is either accepted or rejected")
        return self

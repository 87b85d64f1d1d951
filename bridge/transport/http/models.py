"""Response models shared by several HTTP resources (documented in OpenAPI; extra fields allowed)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """Base of response models: the listed fields are promised, others may be added."""

    model_config = ConfigDict(extra="allow")


class OkOut(Out):
    ok: bool


class TokenOut(Out):
    token: str


Records = list[dict[str, Any]]

"""Response models shared by several HTTP resources (documented in OpenAPI; extra fields allowed)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from core.http_routes import enum_of


class Out(BaseModel):
    """Base of response models: the listed fields are promised, others may be added."""

    model_config = ConfigDict(extra="allow")


class OkOut(Out):
    ok: bool


class TokenOut(Out):
    token: str


Records = list[dict[str, Any]]
# ids of the catalogue: any string is accepted, the document lists the known ones
MatterId = Annotated[str, Field(max_length=64, json_schema_extra=enum_of("matters"))]
DepartmentId = Annotated[str, Field(max_length=64, json_schema_extra=enum_of("departments"))]


class MatterQuery(BaseModel):
    """Filters by catalogue matter and department."""

    matter: str = ""
    department: str = ""

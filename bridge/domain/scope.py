"""Department scope of staff: which departments' conversations, queues and records a principal sees.

One place for the rule written out before in every query: admins and supervisors holding `*` see every
department; other staff see the departments on their account.
"""

from __future__ import annotations

from typing import Any

from bridge.domain.auth import Principal

ALL = "*"


def visible_departments(principal: Principal) -> list[str] | None:
    """The departments `principal` may see, or None for all of them."""
    if principal.role == "admin" or ALL in principal.departments:
        return None
    return list(principal.departments)


def sees_department(principal: Principal, department: str | None) -> bool:
    """Whether `principal` may see records of `department`."""
    deps = visible_departments(principal)
    return deps is None or department in deps


def department_filter(principal: Principal, field: str = "department") -> dict[str, Any]:
    """A MongoDB filter restricting `field` to what `principal` may see ({} when unrestricted)."""
    deps = visible_departments(principal)
    return {} if deps is None else {field: {"$in": deps}}

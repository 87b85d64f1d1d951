"""Department scope of staff: which departments' conversations, queues and records a principal sees.

One place for the rule written out before in every query: admins and supervisors holding `*` see every
department; other staff see the departments on their account.
"""

from __future__ import annotations

from typing import Any

from bridge.domain.auth import Principal

ALL = "*"
BOT_WIDE = ("trainer", "admin")  # roles whose work spans every department (the bot, the KB, accounts)


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


def record_filter(principal: Principal, requested: str | None = None, field: str = "department") -> dict[str, Any]:
    """A MongoDB filter of department-owned records (alerts, audits, drafts, unanswered, ledger, history).

    Trainers and admins work bot-wide and see every department; other staff see their scope. A
    `requested` department (`?department=`) only narrows: outside the caller's scope it matches nothing.
    """
    deps = None if principal.role in BOT_WIDE else visible_departments(principal)
    if requested:
        return {field: requested if deps is None or requested in deps else {"$in": []}}
    return {} if deps is None else {field: {"$in": deps}}


def ledger_filter(principal: Principal, requested: str | None = None) -> dict[str, Any]:
    """The ledger rows `principal` may read: `record_filter`, plus the rows they registered themselves."""
    scoped = record_filter(principal, requested)
    if not scoped or requested:
        return scoped
    return {"$or": [scoped, {"created_by.id": principal.id}]}

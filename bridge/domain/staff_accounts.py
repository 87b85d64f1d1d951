"""Changes to staff accounts (admin command line and HTTP): validated, `staff_version` bumped.

Open `/agent` sockets follow a change within `STAFF_CHECK_S` (`bridge/domain/staff_sessions.py`).
"""

from __future__ import annotations

from pymongo import ReturnDocument

from bridge.domain.auth import STAFF_ROLES
from core.catalogue import Catalogue
from core.clock import now
from core.db import Store


class AccountError(Exception):
    """A refused account change; the message is Chinese, for the operator."""


def check_role_departments(catalogue: Catalogue, role: str, departments: list[str]) -> None:
    """Raise AccountError unless `role` exists and `departments` are known (and present where needed)."""
    if role not in STAFF_ROLES:
        raise AccountError(f"角色必须是 {', '.join(STAFF_ROLES)} 之一。")
    unknown = [d for d in departments if d not in catalogue.departments and d != "*"]
    if unknown:
        raise AccountError(f"未知部门：{', '.join(unknown)}（可用：{', '.join(catalogue.departments)}）")
    if role in ("agent", "supervisor") and not departments:
        raise AccountError("帮办人员和班长至少属于一个部门。")


async def update_account(store: Store, catalogue: Catalogue, username: str, *, disabled: bool | None = None,
                         role: str | None = None, departments: list[str] | None = None) -> dict:
    """Change a staff account's state, role or departments; the updated account."""
    agent = await store.agents.find_one({"username": username})
    if agent is None:
        raise AccountError(f"用户名 {username} 不存在。")
    changes: dict = {"updated_at": now()}
    if role is not None or departments is not None:
        role = agent["role"] if role is None else role
        departments = agent.get("departments", []) if departments is None else departments
        check_role_departments(catalogue, role, departments)
        changes.update(role=role, departments=departments)
    if disabled is not None:
        changes["disabled"] = disabled
        if disabled:
            changes["status"] = "offline"
    return await store.agents.find_one_and_update({"_id": agent["_id"]},
                                                  {"$set": changes, "$inc": {"staff_version": 1}},
                                                  return_document=ReturnDocument.AFTER)

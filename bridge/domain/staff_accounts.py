"""Changes to staff accounts (admin command line and HTTP): validated, `staff_version` bumped.

Open `/agent` sockets follow a change within `STAFF_CHECK_S` (`bridge/domain/staff_sessions.py`).
"""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from bridge.domain.auth import OFFLINE_ROLES, STAFF_ROLES, hash_password, password_problem
from core.catalogue import Catalogue
from core.clock import now
from core.db import Store
from core.errors import MESSAGES

PLACE_MAX = 60  # characters of a hall or window name


class AccountError(Exception):
    """A refused account change; the message is Chinese, for the operator."""


class DuplicateAccount(AccountError):
    """The username is taken."""


def check_role_departments(catalogue: Catalogue, role: str, departments: list[str]) -> None:
    """Raise AccountError unless `role` exists and `departments` are known (and present where needed)."""
    if role not in STAFF_ROLES:
        raise AccountError(f"角色必须是 {', '.join(STAFF_ROLES)} 之一。")
    unknown = [d for d in departments if d not in catalogue.departments and d != "*"]
    if unknown:
        raise AccountError(f"未知部门：{', '.join(unknown)}（可用：{', '.join(catalogue.departments)}）")
    if role in ("agent", "supervisor") and not departments:
        raise AccountError("帮办人员和班长至少属于一个部门。")
    if role in OFFLINE_ROLES and departments:
        raise AccountError("窗口帮办、帮办员和帮办领导干部不属于部门，不能查看部门的会话。")


def check_place(role: str, hall: str, window: str) -> None:
    """Raise AccountError unless the service hall and window fit `role` (window staff need both)."""
    if len(hall) > PLACE_MAX or len(window) > PLACE_MAX:
        raise AccountError(f"服务大厅和窗口名称不能超过{PLACE_MAX}个字。")
    if role == "window_staff" and not (hall.strip() and window.strip()):
        raise AccountError("窗口帮办须填写所在服务大厅和窗口。")
    if role not in OFFLINE_ROLES and (hall or window):
        raise AccountError("只有线下帮办角色（窗口帮办、帮办员、帮办领导干部）登记服务大厅和窗口。")


async def create_account(store: Store, catalogue: Catalogue, *, username: str, password: str, name: str,
                         role: str, departments: list[str], capacity: int, hall: str = "",
                         window: str = "") -> dict:
    """Create a staff account (desk or offline role); AccountError with a clear reason on bad input."""
    if not username or len(username) > 64 or \
            not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise AccountError("用户名只能包含字母、数字、下划线、点和连字符。")
    check_role_departments(catalogue, role, departments)
    check_place(role, hall, window)
    if password_problem(password):
        raise AccountError(MESSAGES["weak_password"])
    if not 1 <= capacity <= 50:
        raise AccountError("接待上限必须在1到50之间。")
    doc = {"_id": username, "username": username, "name": name or username, "role": role,
           "departments": departments, "capacity": capacity, "password_hash": hash_password(password),
           "status": "offline", "active": 0, "disabled": False, "disconnected_at": None,
           "last_assigned_at": None, "created_at": now(), "updated_at": now(), "staff_version": 1}
    if role in OFFLINE_ROLES:
        doc.update(hall=hall.strip(), window=window.strip())
    try:
        await store.agents.insert_one(doc)
    except DuplicateKeyError:
        raise DuplicateAccount(f"用户名 {username} 已存在。") from None
    return doc


def place_changes(agent: dict, role: str, hall: str | None, window: str | None) -> dict:
    """The hall and window an account keeps or gets with `role` (a desk role keeps none)."""
    if role not in OFFLINE_ROLES:
        check_place(role, (hall or "").strip(), (window or "").strip())
        return {"hall": "", "window": ""} if agent.get("hall") or agent.get("window") else {}
    hall = agent.get("hall", "") if hall is None else hall.strip()
    window = agent.get("window", "") if window is None else window.strip()
    check_place(role, hall, window)
    return {"hall": hall, "window": window}


async def update_account(store: Store, catalogue: Catalogue, username: str, *, disabled: bool | None = None,
                         role: str | None = None, departments: list[str] | None = None,
                         hall: str | None = None, window: str | None = None) -> dict:
    """Change a staff account's state, role, departments or place (hall, window); the updated account."""
    agent = await store.agents.find_one({"username": username})
    if agent is None:
        raise AccountError(f"用户名 {username} 不存在。")
    changes: dict = {"updated_at": now()}
    if role is not None or departments is not None or hall is not None or window is not None:
        role = agent["role"] if role is None else role
        departments = agent.get("departments", []) if departments is None else departments
        check_role_departments(catalogue, role, departments)
        changes.update(role=role, departments=departments)
        changes.update(place_changes(agent, role, hall, window))
    if disabled is not None:
        changes["disabled"] = disabled
        if disabled:
            changes["status"] = "offline"
    return await store.agents.find_one_and_update({"_id": agent["_id"]},
                                                  {"$set": changes, "$inc": {"staff_version": 1}},
                                                  return_document=ReturnDocument.AFTER)

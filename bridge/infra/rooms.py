"""Names of the Socket.IO namespaces and rooms, shared by delivery and the namespaces.

Rooms are shared across bridge processes through the client manager:
- `/user`  `u:<user_id>`: every socket of a user (all devices);
- `/agent` `a:<staff_id>`: every socket of a staff member;
- `/agent` `w:<conversation_id>`: supervisors watching a conversation;
- `/agent` `d:<department>`: agents and supervisors of a department (queue counts);
- `/agent` `sup:<department>`: supervisors of a department (alerts); `sup:*` those of all departments.
"""

from __future__ import annotations

USER_NS = "/user"
STAFF_NS = "/agent"


def user(user_id: str) -> str:
    return f"u:{user_id}"


def staff(staff_id: str) -> str:
    return f"a:{staff_id}"


def watch(conversation_id: str) -> str:
    return f"w:{conversation_id}"


def department(department_id: str) -> str:
    return f"d:{department_id}"


def supervisors(department_id: str) -> str:
    return f"sup:{department_id}"


def all_supervisors() -> str:
    """The room of supervisors of every department (their accounts hold `*`)."""
    return supervisors("*")

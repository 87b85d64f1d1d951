"""Admin command line: `python -m bridge.admin <command>` (see --help)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bridge.domain.auth import STAFF_ROLES
from bridge.domain.erasure import Erasure
from bridge.domain.staff_accounts import AccountError, create_account, update_account
from core.catalogue import load_catalogue
from core.db import Store, connect
from core.settings import get_settings
from kb.loader import load_kb

CommandError = AccountError

async def create_agent(store: Store, username: str, password: str, name: str, departments: list[str],
                       role: str = "agent", capacity: int | None = None, hall: str = "", window: str = "") -> dict:
    """Create a staff account; raise CommandError with a clear reason on bad input."""
    settings = get_settings()
    return await create_account(store, load_catalogue(settings.data_dir), username=username, password=password,
                                name=name, role=role, departments=departments, hall=hall, window=window,
                                capacity=capacity if capacity is not None else settings.default_capacity)


async def update_agent(store: Store, username: str, *, disabled: bool | None = None, role: str | None = None,
                       departments: list[str] | None = None, hall: str | None = None,
                       window: str | None = None) -> dict:
    """Change a staff account; open sockets follow within seconds."""
    catalogue = load_catalogue(get_settings().data_dir)
    return await update_account(store, catalogue, username, disabled=disabled, role=role, departments=departments,
                                hall=hall, window=window)


async def seed(store: Store) -> tuple[int, int]:
    """Load departments and matters of the catalogue (with their KB file's `guide`) into the database
    (idempotent)."""
    catalogue = load_catalogue(get_settings().data_dir)
    guides = {f.matter: f.guide for f in load_kb(catalogue=catalogue.matters).files if f.matter}
    for d in catalogue.departments.values():
        await store.departments.update_one({"_id": d.id}, {"$set": {"name": d.name}}, upsert=True)
    for m in catalogue.matters.values():
        record = {"name": m.name, "kind": m.kind, "department": m.department, "guide": guides.get(m.id) or {}}
        await store.matters.update_one({"_id": m.id}, {"$set": record}, upsert=True)
    return len(catalogue.departments), len(catalogue.matters)


async def _main(args: argparse.Namespace) -> int:
    store = connect()
    try:
        await store.ensure_indexes()
        if args.cmd == "create-agent":
            password = args.password or getpass.getpass("密码: ")
            deps = [d.strip() for d in args.departments.split(",") if d.strip()]
            doc = await create_agent(store, args.username, password, args.name, deps, args.role, args.capacity,
                                     args.hall, args.window)
            place = f"，{doc['hall']} {doc['window']}".rstrip() if doc.get("hall") else ""
            print(f"已创建 {doc['role']} {doc['username']}（{doc['name']}），部门 {','.join(deps)}，"
                  f"接待上限 {doc['capacity']}{place}")
        elif args.cmd == "list-agents":
            async for a in store.agents.find({}, sort=[("username", 1)]):
                flag = " [停用]" if a.get("disabled") else ""
                place = f" hall={a['hall']} window={a.get('window', '')}" if a.get("hall") else ""
                print(f"{a['username']:<16} {a['role']:<12} {a['name']:<10} cap={a.get('capacity')} "
                      f"status={a.get('status')} active={a.get('active', 0)} deps={','.join(a['departments'])}"
                      f"{place}{flag}")
        elif args.cmd == "disable-agent":
            await update_agent(store, args.username, disabled=True)
            print(f"已停用 {args.username}")
        elif args.cmd == "enable-agent":
            await update_agent(store, args.username, disabled=False)
            print(f"已启用 {args.username}")
        elif args.cmd == "set-agent":
            deps = None if args.departments is None else [d.strip() for d in args.departments.split(",") if d.strip()]
            doc = await update_agent(store, args.username, role=args.role, departments=deps, hall=args.hall,
                                     window=args.window)
            place = f"，{doc['hall']} {doc['window']}".rstrip() if doc.get("hall") else ""
            print(f"已更新 {doc['username']}：角色 {doc['role']}，部门 {','.join(doc['departments'])}{place}")
        elif args.cmd == "erase-user":
            entry = await Erasure(store, get_settings().tracker_db).erase_user(
                args.user, {"role": "admin", "id": "cli", "name": getpass.getuser()})
            counts = "，".join(f"{k} {v}" for k, v in entry["counts"].items())
            print(f"已删除用户 {args.user} 的个人信息：{counts}（已记录审计）")
        elif args.cmd == "seed":
            deps, matters = await seed(store)
            print(f"已载入 {deps} 个部门、{matters} 个事项")
        return 0
    except CommandError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    finally:
        await store.close()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bangban admin", description="Bangban administration")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create-agent", help="create an agent, supervisor, trainer, admin or offline helper "
                                            "(window_staff, volunteer, official)")
    c.add_argument("--username", required=True)
    c.add_argument("--password", help="at least 10 characters with letters and digits (asked if omitted)")
    c.add_argument("--name", default="", help="display name")
    c.add_argument("--departments", default="", help="comma-separated department ids, * for all")
    c.add_argument("--role", default="agent", choices=STAFF_ROLES)
    c.add_argument("--capacity", type=int, default=None)
    c.add_argument("--hall", default="", help="service hall of an offline helper (window_staff: required)")
    c.add_argument("--window", default="", help="window of an offline helper (window_staff: required)")
    sub.add_parser("list-agents", help="list staff accounts")
    d = sub.add_parser("disable-agent", help="disable a staff account")
    d.add_argument("--username", required=True)
    e = sub.add_parser("enable-agent", help="enable a disabled staff account")
    e.add_argument("--username", required=True)
    u = sub.add_parser("set-agent", help="change the role or departments of a staff account")
    u.add_argument("--username", required=True)
    u.add_argument("--role", default=None, choices=STAFF_ROLES)
    u.add_argument("--departments", default=None, help="comma-separated department ids, * for all")
    u.add_argument("--hall", default=None, help="service hall of an offline helper")
    u.add_argument("--window", default=None, help="window of an offline helper")
    sub.add_parser("seed", help="load departments and matters from data/catalogue")
    e = sub.add_parser("erase-user", help="delete a citizen's conversations, messages, media and trackers")
    e.add_argument("--user", required=True, help="the citizen's id (the token's sub)")
    return p


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(_main(parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())

"""Where a call goes: its line and IVR choice name a department or a matter (`phone_lines` in
data/catalogue/routing.yml), and the phone calendar of that department says whether anyone answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.catalogue import Catalogue
from core.errors import ApiError
from core.workcal import help_status


@dataclass(frozen=True)
class CallRoute:
    line_name: str
    department: str
    matter: str | None


def route_call(catalogue: Catalogue, line: str, ivr: str | None) -> CallRoute:
    """The department (and matter) of a call on `line` after IVR choice `ivr`; 422 for an unknown line."""
    spec = catalogue.phone_lines.get(line)
    if spec is None:
        raise ApiError(422, "unknown_line", f"未配置的热线号码：{line}")
    target = (spec.get("ivr") or {}).get(ivr or "") or spec
    matter = target.get("matter")
    department = target.get("department") or catalogue.route(matter)
    return CallRoute(spec.get("name") or line, department, matter)


def out_of_hours(department: str, at: dt.datetime, catalogue: Catalogue) -> dict | None:
    """None while the department's phone line is staffed at `at`; else the call centre's answer: what to
    announce to the caller and when the line opens next."""
    hours = help_status(department, at, channel="phone")
    if hours.open:
        return None
    name = catalogue.departments[department].name
    return {"accepted": False, "out_of_hours": True, "department": department,
            "next_open": hours.next_open.isoformat(),
            "announcement": f"您好，{name}热线人工服务时间已过，请于{hours.next_open:%m月%d日 %H:%M}后再拨，"
                            "或通过“一网通办”在线咨询智能客服小申。"}

"""The national 好差评 levels and the report sent for each rating (docs/haocha.md)."""

from __future__ import annotations

from typing import Any

from core.clock import iso
from core.pii import mask_pii

# score (the contract's 1..5) -> the national level; "一般" of earlier versions is 基本满意 (3)
LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD = (1, 2)  # 不满意, 非常不满意: each opens a rectification item (核实整改)


def level_name(score: int) -> str:
    """The national level of a 1..5 score."""
    return LEVELS[int(score)]


def tags_of(rating: dict[str, Any]) -> list[str]:
    """The report's tags: what the citizen said about the outcome, and who was rated."""
    tags = ["智能客服" if rating["target"] == "bot" else "人工帮办"]
    if rating.get("resolved") is not None:
        tags.append("问题已解决" if rating["resolved"] else "问题未解决")
    return tags


def report_body(report_id: str, rating: dict[str, Any], matter_code: str | None, work_id: str | None) -> dict:
    """The JSON body reported to the 好差评 endpoint for one rating."""
    return {"report_id": report_id, "channel": rating.get("channel"), "matter_code": matter_code,
            "matter": rating.get("matter"), "conversation_id": rating["conversation_id"], "work_id": work_id,
            "target": rating["target"], "level": int(rating["score"]), "level_name": level_name(rating["score"]),
            "tags": tags_of(rating), "text": mask_pii(rating.get("comment") or ""),
            "rated_at": iso(rating["ts"]), "department": rating.get("department")}

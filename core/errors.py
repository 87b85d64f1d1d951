"""Error codes with the Chinese text shown to users, for acks and HTTP answers."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MESSAGES: dict[str, str] = {
    "invalid_payload": "请求内容格式不正确。",
    "text_too_long": "消息太长了，请精简后再发送。",
    "payload_too_large": "发送的内容过大。",
    "rate_limited": "发送太频繁了，请稍后再试。",
    "unauthorized": "身份验证失败，请重新登录。",
    "token_expired": "登录已过期，请重新登录。",
    "forbidden": "无权访问该会话。",
    "not_found": "没有找到对应的内容。",
    "unknown_matter": "未找到该办事事项。",
    "unknown_department": "未找到该部门。",
    "unknown_agent": "未找到该帮办人员。",
    "conversation_closed": "本次会话已结束，请发起新的咨询。",
    "invalid_state": "当前会话状态下不能进行该操作。",
    "already_rated": "您已经评价过了，感谢您的反馈。",
    "forbidden_words": "消息中含有服务禁语，请修改后再发送。",
    "no_capacity": "接待量已满。",
    "not_online": "请先将状态设为在线。",
    "db_unavailable": "系统繁忙，消息未能保存，请稍后重试。",
    "bad_credentials": "用户名或密码错误。",
    "account_disabled": "账号已停用，请联系管理员。",
    "login_throttled": "登录尝试过多，请稍后再试。",
    "weak_password": "密码强度不足：至少10位，且包含字母和数字。",
    "duplicate_username": "用户名已存在。",
    "disabled_in_production": "生产环境不提供该接口。",
    "bad_signature": "签名校验失败。",
    "stale_callback": "回调已超过5分钟，已拒绝。",
    "replayed_callback": "回调已处理过（重复的随机数），已拒绝。",
    "link_expired": "链接已失效，请刷新后重试。",
    "invalid_path": "只能编辑 data/nlu、data/rules.yml 和 data/stories.yml；知识库文章请在知识库页面编辑。",
    "too_many_sockets": "您已在多个设备或页面上登录，请关闭其他页面后再试。",
    "too_many_conversations": "您同时进行中的咨询过多，请先结束已有咨询后再发起新的咨询。",
    "quota_exceeded": "操作次数已达上限，请稍后再试。",
    "internal": "系统内部错误，请稍后再试。",
}


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code and a Chinese message."""

    def __init__(self, status: int, code: str, message: str | None = None, **extra: Any) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or MESSAGES.get(code, MESSAGES["internal"])
        self.extra = extra

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        err.update(self.extra)
        return {"error": err}


def ack_error(code: str, message: str | None = None, **extra: Any) -> dict[str, Any]:
    """The Socket.IO acknowledgement of a refused event."""
    err: dict[str, Any] = {"code": code, "message": message or MESSAGES.get(code, MESSAGES["internal"])}
    err.update(extra)
    return {"ok": False, "error": err}


def json_error(status: int, code: str, message: str | None = None, **extra: Any) -> web.Response:
    """An HTTP error answer in the contract's JSON shape."""
    return web.json_response(
        ApiError(status, code, message, **extra).body(),
        status=status,
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
    )

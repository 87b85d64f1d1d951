"""Co-browse over Socket.IO: request, consent, live rrweb events, pointer, control, form sharing."""

from __future__ import annotations

import asyncio
import time
import uuid

from core.errors import ApiError
from media.cobrowse import EventsRejected, batch_size, mask_form, scrub_value, validate_batch
from media.cobrowse_sessions import CobrowseSessions, not_yours
from media.hub import AGENT_NS, USER_NS, Caller

POINTER_KINDS = {"move", "click", "highlight", "clear"}
CONTROL_ACTIONS = {"click", "input", "scroll", "focus"}
TO_USER, TO_AGENT = ("user",), ("agent",)
CONSENT_NOTICE = ("客服人员请求查看您当前的页面，以便指导您办理。"
                  "密码、身份证号、手机号、银行卡号等信息不会被看到。"
                  "您可以随时结束共享。")
CONTROL_NOTICE = "客服人员请求协助操作您的页面（点击、填写）。同意后您仍可随时收回控制权。"


def _suggestions(items: object) -> list[dict]:
    """The agent's filling suggestions, checked and cut to size."""
    if not isinstance(items, list) or not items or len(items) > 50:
        raise ApiError(400, "bad_request", "填写建议不正确")
    suggestions = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ApiError(400, "bad_request", "填写建议不正确")
        suggestions.append({"name": item["name"][:100], "value": str(item.get("value", ""))[:500],
                            "note": str(item.get("note", ""))[:200]})
    return suggestions


class Cobrowse(CobrowseSessions):
    """The co-browse events of both sides."""

    # --- agent side ---

    async def request(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        conv = await self.hub.conversation(principal, data.get("conversation_id"))
        mode = data.get("mode", "dom")
        if mode not in ("dom", "form"):
            raise ApiError(400, "bad_request", "共享方式不正确")
        current = self.by_conv.get(conv.id)
        if current is not None and current.state != "ended":
            return {"ok": True, **current.public()}
        session = await self._new(conv, mode)
        session.timer = asyncio.create_task(self._expire(session))
        ask = session.public() | {"agent": session.agent(), "notice": CONSENT_NOTICE,
                                  "timeout_s": self.limits.cobrowse_consent_timeout_s}
        await self._send(session, "cobrowse_request", ask, TO_USER)
        await self._audit(session, "request", principal, mode=mode)
        await self.hub.timeline(session.conversation_id, "cobrowse_requested", principal, {"session_id": session.id})
        return {"ok": True, **session.public()}

    async def pointer(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._own_session(data, principal, "agent")
        kind = data.get("kind", "move")
        x, y = data.get("x"), data.get("y")
        if kind not in POINTER_KINDS or not all(isinstance(v, (int, float)) for v in (x, y)):
            raise ApiError(400, "bad_request", "指针数据不正确")
        if not session.pointer_bucket.allow():
            raise ApiError(429, "rate_limited", "操作过于频繁")
        payload = session.ref() | {"kind": kind, "x": float(x), "y": float(y)}
        if isinstance(data.get("node_id"), int):
            payload["node_id"] = data["node_id"]
        await self._send(session, "cobrowse_pointer", payload, TO_USER)
        if kind != "move":
            await self._audit(session, "pointer", principal, pointer=payload)
        return {"ok": True}

    async def control_request(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data)
        if session.agent_id != principal.id or session.mode != "dom":
            raise not_yours()
        if session.control == "off":
            session.control = "requested"
            ask = session.public() | {"agent": session.agent(), "notice": CONTROL_NOTICE}
            await self._send(session, "cobrowse_control_request", ask, TO_USER)
            await self._audit(session, "control_request", principal)
        return {"ok": True, **session.public()}

    async def control(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._own_session(data, principal, "agent")
        if session.control != "on":
            raise ApiError(409, "control_not_granted", "用户尚未同意由您协助操作")
        action = data.get("action")
        if action not in CONTROL_ACTIONS or not isinstance(data.get("node_id"), int):
            raise ApiError(400, "bad_request", "操作指令不正确")
        if not session.pointer_bucket.allow():
            raise ApiError(429, "rate_limited", "操作过于频繁")
        payload = session.ref() | {"action": action, "node_id": data["node_id"]}
        if action == "input":
            payload["value"] = str(data.get("value", ""))[:500]
        if action == "scroll":
            payload["x"], payload["y"] = float(data.get("x") or 0), float(data.get("y") or 0)
        await self._send(session, "cobrowse_control", payload, TO_USER)
        await self._audit(session, "control", principal, action=action, node_id=data["node_id"])
        return {"ok": True}

    async def form_suggest(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._own_session(data, principal, "agent")
        suggestions = _suggestions(data.get("suggestions"))
        suggestion_id = uuid.uuid4().hex[:12]
        session.suggestions[suggestion_id] = {"form_id": data.get("form_id"),
                                              "names": [s["name"] for s in suggestions]}
        payload = session.ref() | {"suggestion_id": suggestion_id, "form_id": data.get("form_id"),
                                   "suggestions": suggestions, "agent": session.agent()}
        await self._send(session, "form_suggest", payload, TO_USER)
        await self._audit(session, "form_suggest", principal, suggestion_id=suggestion_id, suggestions=suggestions)
        return {"ok": True, "suggestion_id": suggestion_id}

    # --- user side ---

    async def consent(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data, states=("requested",), owned_by=(principal, "user"))
        if not data.get("accept"):
            await self._end(session, principal, "declined")
            return {"ok": True, **session.public()}
        session.started = time.monotonic()
        await self._activate(session)
        await self._send(session, "cobrowse_state", session.public())
        await self._audit(session, "consent", principal)
        await self.hub.timeline(session.conversation_id, "cobrowse_started", principal,
                                {"session_id": session.id, "mode": session.mode})
        return {"ok": True, **session.public()}

    async def events(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._own_session(data, principal, "user")
        try:
            events = validate_batch(data.get("events"))
        except EventsRejected as exc:
            raise ApiError(400, "bad_request", "共享数据格式不正确") from exc
        size = batch_size(events)
        if size > self.limits.cobrowse_batch_bytes:
            raise ApiError(413, "too_large", "页面数据过大，无法共享")
        if not session.events_bucket.allow() or not session.bytes_bucket.allow(cost=size):
            raise ApiError(429, "rate_limited", "页面变化过于频繁，请稍候")
        clean = [session.scrubber.scrub_event(event) for event in events]
        session.seq += 1
        session.bytes += size
        payload = session.ref() | {"seq": session.seq, "events": clean}
        await self._send(session, "cobrowse_events", payload, TO_AGENT)
        await self._audit(session, "events", principal, seq=session.seq, bytes=size, events=clean)
        return {"ok": True, "seq": session.seq}

    async def control_consent(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._own_session(data, principal, "user")
        accept = bool(data.get("accept"))
        if accept and session.control != "requested":
            raise ApiError(409, "control_not_requested", "客服人员没有请求协助操作")
        session.control = "on" if accept else "off"
        await self._send(session, "cobrowse_state", session.public())
        await self._audit(session, "control_on" if accept else "control_off", principal)
        await self.hub.timeline(session.conversation_id, "cobrowse_control_" + ("granted" if accept else "revoked"),
                                principal, {"session_id": session.id})
        return {"ok": True, **session.public()}

    async def form_share(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        conv = await self.hub.conversation(principal, data.get("conversation_id"))
        try:
            form = mask_form(data.get("form"))
        except EventsRejected as exc:
            raise ApiError(400, "bad_request", "表单数据格式不正确") from exc
        if batch_size(form) > self.limits.cobrowse_batch_bytes:
            raise ApiError(413, "too_large", "表单数据过大，无法共享")
        session = self.by_conv.get(conv.id)
        if session is None or session.state == "ended":
            session = await self._new(conv, "form", "active")  # sharing a form is the user's own act: consent
            await self.hub.timeline(session.conversation_id, "cobrowse_started", principal,
                                    {"session_id": session.id, "mode": "form"})
        elif session.state == "requested":
            await self._activate(session)
        if not session.events_bucket.allow():
            raise ApiError(429, "rate_limited", "操作过于频繁，请稍候")
        session.seq += 1
        payload = session.ref() | {"seq": session.seq, "form": form}
        await self._send(session, "form_share", payload, TO_AGENT)
        await self._audit(session, "form_share", principal, form=form)
        return {"ok": True, **session.public()}

    async def form_suggest_reply(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._own_session(data, principal, "user")
        pending = session.suggestions.pop(str(data.get("suggestion_id")), None)
        if pending is None:
            raise ApiError(404, "not_found", "该填写建议不存在或已处理")
        accepted = [n for n in data.get("accepted") or [] if n in pending["names"]]
        rejected = [n for n in pending["names"] if n not in accepted]
        payload = session.ref() | {"suggestion_id": data["suggestion_id"], "accepted": accepted,
                                   "rejected": rejected}
        await self._send(session, "form_suggest_reply", payload, TO_AGENT)
        await self._audit(session, "form_reply", principal, **scrub_value(payload))
        return {"ok": True}

    # --- either side ---

    async def stop(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data, states=("requested", "active"))
        if principal.id not in (session.user_id, session.agent_id):
            raise not_yours()
        await self._end(session, principal, "stopped")
        return {"ok": True, **session.public()}

    def register(self) -> None:
        for event, fn in (("cobrowse_request", self.request), ("cobrowse_pointer", self.pointer),
                          ("cobrowse_control_request", self.control_request), ("cobrowse_control", self.control),
                          ("cobrowse_stop", self.stop), ("form_suggest", self.form_suggest)):
            self.hub.on(AGENT_NS, event, fn, self.locate)
        for event, fn in (("cobrowse_consent", self.consent), ("cobrowse_events", self.events),
                          ("cobrowse_control_consent", self.control_consent), ("cobrowse_stop", self.stop),
                          ("form_share", self.form_share), ("form_suggest_reply", self.form_suggest_reply)):
            self.hub.on(USER_NS, event, fn, self.locate)

"""Co-browse over Socket.IO: request, consent, live rrweb events, pointer, control, form sharing."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from core.settings import MediaSettings, get_settings
from media.cobrowse import EventsRejected, Scrubber, batch_size, mask_form, scrub_value, validate_batch
from media.errors import MediaError
from media.hub import AGENT_NS, USER_NS, Caller, Hub, Moved, conv_id, now
from media.ratelimit import TokenBucket

log = logging.getLogger(__name__)
POINTER_KINDS = {"move", "click", "highlight", "clear"}
CONTROL_ACTIONS = {"click", "input", "scroll", "focus"}


@dataclass
class Session:
    id: str
    conversation_id: str
    user_id: str
    agent_id: str
    agent_name: str
    mode: str  # dom | form
    state: str = "requested"  # requested | active | ended
    control: str = "off"  # off | requested | on
    started: float = field(default_factory=time.monotonic)
    created: float = field(default_factory=time.monotonic)
    seq: int = 0
    bytes: int = 0
    scrubber: Scrubber = field(default_factory=Scrubber)
    events_bucket: TokenBucket | None = None
    bytes_bucket: TokenBucket | None = None
    pointer_bucket: TokenBucket | None = None
    suggestions: dict[str, dict] = field(default_factory=dict)
    timer: asyncio.Task | None = None

    def public(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "session_id": self.id,
            "mode": self.mode,
            "state": self.state,
            "control": self.control,
        }


class Cobrowse:
    """The co-browse sessions of this process (one per conversation)."""

    def __init__(self, hub: Hub, limits: MediaSettings | None = None) -> None:
        self.hub = hub
        self.limits = limits or get_settings().media
        self.by_conv: dict[str, Session] = {}

    # --- helpers ---

    async def _new(self, conv: dict, mode: str, state: str = "requested") -> Session:
        """A new session of this process; `Moved` when another process claimed the conversation's session."""
        lim = self.limits
        session = Session(
            id=uuid.uuid4().hex,
            conversation_id=conv_id(conv),
            user_id=conv["user"]["id"],
            agent_id=conv["agent"]["id"],
            agent_name=conv["agent"].get("name", ""),
            mode=mode,
            state=state,
            events_bucket=TokenBucket(lim.cobrowse_batches_per_s, lim.cobrowse_batches_per_s * 2),
            bytes_bucket=TokenBucket(
                lim.cobrowse_bytes_per_s, max(lim.cobrowse_batch_bytes, lim.cobrowse_bytes_per_s) * 2
            ),
            pointer_bucket=TokenBucket(lim.cobrowse_pointer_per_s, lim.cobrowse_pointer_per_s),
        )
        self.by_conv[session.conversation_id] = session
        fields = {"user_id": session.user_id, "agent_id": session.agent_id, "agent_name": session.agent_name,
                  "mode": mode, "state": state}
        try:
            owner = await self.hub.claim("cobrowse", session.conversation_id, session.id, fields)
        except BaseException:
            self._forget(session)
            raise
        if owner is not None:
            self._forget(session)
            raise Moved(owner)
        return session

    def _forget(self, session: Session) -> None:
        if self.by_conv.get(session.conversation_id) is session:
            self.by_conv.pop(session.conversation_id)

    async def locate(self, event: str, data: dict) -> str | None:
        """The process holding the conversation's session, when it is not this one."""
        key = data.get("conversation_id")
        if isinstance(key, str) and key not in self.by_conv:
            return await self.hub.owners.owner("cobrowse", key)
        return None

    def _session(self, data: dict, states: tuple[str, ...] = ("active",)) -> Session:
        key = data.get("conversation_id")
        session = self.by_conv.get(key) if isinstance(key, str) else None
        if session is None or (data.get("session_id") and data["session_id"] != session.id):
            raise MediaError("cobrowse_not_found", "当前没有进行中的屏幕共享", 404)
        if session.state not in states:
            raise MediaError("cobrowse_not_active", "屏幕共享尚未开始或已结束", 409)
        return session

    async def _audit(self, session: Session, kind: str, principal: Any, **detail: Any) -> None:
        doc = {
            "conversation_id": session.conversation_id,
            "session_id": session.id,
            "ts": now(),
            "kind": kind,
            "by": {"role": principal.role, "id": principal.id}
            if principal is not None
            else {"role": "system"},
        }
        doc.update(detail)
        try:
            await self.hub.ctx.store.cobrowse_events.insert_one(doc)
        except Exception:  # noqa: BLE001 - relaying goes on; the failure is logged
            log.exception("cobrowse audit write failed")

    async def _end(self, session: Session, principal: Any, reason: str, orphan: bool = False) -> None:
        """End a session of this process (or report the end of an `orphan`, a session of a lost process)."""
        if session.state == "ended":
            return
        session.state, session.control = "ended", "off"
        if session.timer and session.timer is not asyncio.current_task():
            session.timer.cancel()
        self._forget(session)
        if not orphan and not await self.hub.release("cobrowse", session.conversation_id, session.id):
            return  # another process took this one for dead and already told both sides
        state = session.public() | {"reason": reason, "by": principal.role if principal else "system"}
        await self.hub.to_both(session.user_id, session.agent_id, "cobrowse_state", state)
        duration = round(time.monotonic() - session.started, 1)
        await self._audit(session, "stop", principal, reason=reason, batches=session.seq, bytes=session.bytes)
        await self.hub.timeline(
            session.conversation_id,
            "cobrowse_ended",
            principal,
            {"session_id": session.id, "reason": reason, "duration_s": duration, "mode": session.mode},
        )

    async def _expire(self, session: Session) -> None:
        await asyncio.sleep(self.limits.cobrowse_consent_timeout_s)
        if session.state == "requested":
            await self._end(session, None, "timeout")

    # --- agent side ---

    async def request(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        conv = await self.hub.conversation(principal, data.get("conversation_id"))
        mode = data.get("mode", "dom")
        if mode not in ("dom", "form"):
            raise MediaError("bad_request", "共享方式不正确", 400)
        current = self.by_conv.get(data["conversation_id"])
        if current is not None and current.state != "ended":
            return {"ok": True, **current.public()}
        session = await self._new(conv, mode)
        session.timer = asyncio.create_task(self._expire(session))
        await self.hub.to_user(
            session.user_id,
            "cobrowse_request",
            session.public()
            | {
                "agent": {"id": session.agent_id, "name": session.agent_name},
                "notice": "客服人员请求查看您当前的页面，以便指导您办理。"
                "密码、身份证号、手机号、银行卡号等信息不会被看到。"
                "您可以随时结束共享。",
                "timeout_s": self.limits.cobrowse_consent_timeout_s,
            },
        )
        await self._audit(session, "request", principal, mode=mode)
        await self.hub.timeline(
            session.conversation_id, "cobrowse_requested", principal, {"session_id": session.id}
        )
        return {"ok": True, **session.public()}

    async def pointer(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data)
        if session.agent_id != principal.id:
            raise MediaError("forbidden", "您无权操作该会话", 403)
        kind = data.get("kind", "move")
        x, y = data.get("x"), data.get("y")
        if kind not in POINTER_KINDS or not all(isinstance(v, (int, float)) for v in (x, y)):
            raise MediaError("bad_request", "指针数据不正确", 400)
        if not session.pointer_bucket.take():
            raise MediaError("rate_limited", "操作过于频繁", 429)
        payload = {
            "conversation_id": session.conversation_id,
            "session_id": session.id,
            "kind": kind,
            "x": float(x),
            "y": float(y),
        }
        if isinstance(data.get("node_id"), int):
            payload["node_id"] = data["node_id"]
        await self.hub.to_user(session.user_id, "cobrowse_pointer", payload)
        if kind != "move":
            await self._audit(session, "pointer", principal, pointer=payload)
        return {"ok": True}

    async def control_request(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data)
        if session.agent_id != principal.id or session.mode != "dom":
            raise MediaError("forbidden", "您无权操作该会话", 403)
        if session.control == "off":
            session.control = "requested"
            await self.hub.to_user(
                session.user_id,
                "cobrowse_control_request",
                session.public()
                | {
                    "agent": {"id": session.agent_id, "name": session.agent_name},
                    "notice": "客服人员请求协助操作您的页面（点击、填写）。同意后您仍可随时收回控制权。",
                },
            )
            await self._audit(session, "control_request", principal)
        return {"ok": True, **session.public()}

    async def control(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data)
        if session.agent_id != principal.id:
            raise MediaError("forbidden", "您无权操作该会话", 403)
        if session.control != "on":
            raise MediaError("control_not_granted", "用户尚未同意由您协助操作", 409)
        action = data.get("action")
        if action not in CONTROL_ACTIONS or not isinstance(data.get("node_id"), int):
            raise MediaError("bad_request", "操作指令不正确", 400)
        if not session.pointer_bucket.take():
            raise MediaError("rate_limited", "操作过于频繁", 429)
        payload = {
            "conversation_id": session.conversation_id,
            "session_id": session.id,
            "action": action,
            "node_id": data["node_id"],
        }
        if action == "input":
            payload["value"] = str(data.get("value", ""))[:500]
        if action == "scroll":
            payload["x"], payload["y"] = float(data.get("x") or 0), float(data.get("y") or 0)
        await self.hub.to_user(session.user_id, "cobrowse_control", payload)
        await self._audit(session, "control", principal, action=action, node_id=data["node_id"])
        return {"ok": True}

    async def form_suggest(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data)
        if session.agent_id != principal.id:
            raise MediaError("forbidden", "您无权操作该会话", 403)
        items = data.get("suggestions")
        if not isinstance(items, list) or not items or len(items) > 50:
            raise MediaError("bad_request", "填写建议不正确", 400)
        suggestions = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise MediaError("bad_request", "填写建议不正确", 400)
            suggestions.append(
                {
                    "name": item["name"][:100],
                    "value": str(item.get("value", ""))[:500],
                    "note": str(item.get("note", ""))[:200],
                }
            )
        suggestion_id = uuid.uuid4().hex[:12]
        session.suggestions[suggestion_id] = {
            "form_id": data.get("form_id"),
            "names": [s["name"] for s in suggestions],
        }
        payload = {
            "conversation_id": session.conversation_id,
            "session_id": session.id,
            "suggestion_id": suggestion_id,
            "form_id": data.get("form_id"),
            "suggestions": suggestions,
            "agent": {"id": session.agent_id, "name": session.agent_name},
        }
        await self.hub.to_user(session.user_id, "form_suggest", payload)
        await self._audit(
            session, "form_suggest", principal, suggestion_id=suggestion_id, suggestions=suggestions
        )
        return {"ok": True, "suggestion_id": suggestion_id}

    # --- user side ---

    async def consent(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data, states=("requested",))
        if session.user_id != principal.id:
            raise MediaError("forbidden", "您无权操作该会话", 403)
        if not data.get("accept"):
            await self._end(session, principal, "declined")
            return {"ok": True, **session.public()}
        session.state = "active"
        session.started = time.monotonic()
        if session.timer:
            session.timer.cancel()
        await self.hub.to_both(session.user_id, session.agent_id, "cobrowse_state", session.public())
        await self.hub.note("cobrowse", session.conversation_id, session.id, state="active", started_at=now())
        await self._audit(session, "consent", principal)
        await self.hub.timeline(
            session.conversation_id,
            "cobrowse_started",
            principal,
            {"session_id": session.id, "mode": session.mode},
        )
        return {"ok": True, **session.public()}

    async def events(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data)
        if session.user_id != principal.id:
            raise MediaError("forbidden", "您无权操作该会话", 403)
        try:
            events = validate_batch(data.get("events"))
        except EventsRejected as exc:
            raise MediaError("bad_request", "共享数据格式不正确", 400) from exc
        size = batch_size(events)
        if size > self.limits.cobrowse_batch_bytes:
            raise MediaError("too_large", "页面数据过大，无法共享", 413)
        if not session.events_bucket.take() or not session.bytes_bucket.take(size):
            raise MediaError("rate_limited", "页面变化过于频繁，请稍候", 429)
        clean = [session.scrubber.scrub_event(event) for event in events]
        session.seq += 1
        session.bytes += size
        payload = {
            "conversation_id": session.conversation_id,
            "session_id": session.id,
            "seq": session.seq,
            "events": clean,
        }
        await self.hub.to_agent(session.agent_id, "cobrowse_events", payload)
        await self._audit(session, "events", principal, seq=session.seq, bytes=size, events=clean)
        return {"ok": True, "seq": session.seq}

    async def control_consent(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data)
        if session.user_id != principal.id:
            raise MediaError("forbidden", "您无权操作该会话", 403)
        accept = bool(data.get("accept"))
        if accept and session.control != "requested":
            raise MediaError("control_not_requested", "客服人员没有请求协助操作", 409)
        session.control = "on" if accept else "off"
        await self.hub.to_both(session.user_id, session.agent_id, "cobrowse_state", session.public())
        await self._audit(session, "control_on" if accept else "control_off", principal)
        await self.hub.timeline(
            session.conversation_id,
            "cobrowse_control_" + ("granted" if accept else "revoked"),
            principal,
            {"session_id": session.id},
        )
        return {"ok": True, **session.public()}

    async def form_share(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        conv = await self.hub.conversation(principal, data.get("conversation_id"))
        try:
            form = mask_form(data.get("form"))
        except EventsRejected as exc:
            raise MediaError("bad_request", "表单数据格式不正确", 400) from exc
        if batch_size(form) > self.limits.cobrowse_batch_bytes:
            raise MediaError("too_large", "表单数据过大，无法共享", 413)
        session = self.by_conv.get(conv_id(conv))
        if session is None or session.state == "ended":
            session = await self._new(conv, "form", "active")  # sharing a form is the user's own act: consent
            await self.hub.timeline(
                session.conversation_id,
                "cobrowse_started",
                principal,
                {"session_id": session.id, "mode": "form"},
            )
        elif session.state == "requested":
            session.state = "active"
            if session.timer:
                session.timer.cancel()
            await self.hub.note("cobrowse", session.conversation_id, session.id, state="active", started_at=now())
        if not session.events_bucket.take():
            raise MediaError("rate_limited", "操作过于频繁，请稍候", 429)
        session.seq += 1
        payload = {
            "conversation_id": session.conversation_id,
            "session_id": session.id,
            "seq": session.seq,
            "form": form,
        }
        await self.hub.to_agent(session.agent_id, "form_share", payload)
        await self._audit(session, "form_share", principal, form=form)
        return {"ok": True, **session.public()}

    async def form_suggest_reply(self, caller: Caller, data: dict) -> dict:
        principal = caller.principal
        session = self._session(data)
        if session.user_id != principal.id:
            raise MediaError("forbidden", "您无权操作该会话", 403)
        pending = session.suggestions.pop(str(data.get("suggestion_id")), None)
        if pending is None:
            raise MediaError("not_found", "该填写建议不存在或已处理", 404)
        accepted = [n for n in data.get("accepted") or [] if n in pending["names"]]
        rejected = [n for n in pending["names"] if n not in accepted]
        payload = {
            "conversation_id": session.conversation_id,
            "session_id": session.id,
            "suggestion_id": data["suggestion_id"],
            "accepted": accepted,
            "rejected": rejected,
        }
        await self.hub.to_agent(session.agent_id, "form_suggest_reply", payload)
        await self._audit(session, "form_reply", principal, **scrub_value(payload))
        return {"ok": True}

    # --- either side ---

    def _stopper(self, namespace: str):
        async def stop(caller: Caller, data: dict) -> dict:
            principal = caller.principal
            session = self._session(data, states=("requested", "active"))
            if principal.id not in (session.user_id, session.agent_id):
                raise MediaError("forbidden", "您无权操作该会话", 403)
            await self._end(session, principal, "stopped")
            return {"ok": True, **session.public()}

        stop.__name__ = "cobrowse_stop"
        return stop

    async def end_for_conversation(self, conversation_id: str, reason: str = "conversation_closed") -> None:
        """Stop the conversation's session (call when it closes or is transferred)."""
        session = self.by_conv.get(conversation_id)
        if session is not None:
            await self._end(session, None, reason)

    async def end_orphan(self, doc: dict) -> None:
        """Report the end of a session whose process stopped (`doc`: its `media_sessions` entry)."""
        session = Session(doc["session_id"], doc["conversation_id"], doc["user_id"], doc["agent_id"],
                          doc.get("agent_name", ""), doc["mode"], state=doc.get("state", "requested"))
        if doc.get("started_at") is not None:
            session.started = time.monotonic() - (now() - doc["started_at"]).total_seconds()
        await self._end(session, None, "connection_lost", orphan=True)

    def register(self) -> None:
        self.hub.on(AGENT_NS, "cobrowse_request", self.request, self.locate)
        self.hub.on(AGENT_NS, "cobrowse_pointer", self.pointer, self.locate)
        self.hub.on(AGENT_NS, "cobrowse_control_request", self.control_request, self.locate)
        self.hub.on(AGENT_NS, "cobrowse_control", self.control, self.locate)
        self.hub.on(AGENT_NS, "cobrowse_stop", self._stopper(AGENT_NS), self.locate)
        self.hub.on(AGENT_NS, "form_suggest", self.form_suggest, self.locate)
        self.hub.on(USER_NS, "cobrowse_consent", self.consent, self.locate)
        self.hub.on(USER_NS, "cobrowse_events", self.events, self.locate)
        self.hub.on(USER_NS, "cobrowse_control_consent", self.control_consent, self.locate)
        self.hub.on(USER_NS, "cobrowse_stop", self._stopper(USER_NS), self.locate)
        self.hub.on(USER_NS, "form_share", self.form_share, self.locate)
        self.hub.on(USER_NS, "form_suggest_reply", self.form_suggest_reply, self.locate)

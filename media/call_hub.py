"""Call signalling over Socket.IO: invite, accept/decline, offer/ICE, hang-up, timeouts, recording."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.clock import now
from core.errors import ApiError
from core.settings import MediaSettings, get_settings
from media.hub import AGENT_NS, USER_NS, Caller, Hub
from media.port import Participants
from media.store import MediaStore

log = logging.getLogger(__name__)
# timeline event of a call that ended before it was active (the reason is in its detail)
UNANSWERED_EVENTS = {"declined": "call_declined", "missed": "call_missed", "failed": "call_failed"}
RECORDING_NOTICE = "为保障服务质量，本次通话将全程录音录像并存档，仅用于服务监督。"


@dataclass
class Call:
    id: str
    conversation_id: str
    kind: str  # audio | video
    user_id: str
    agent_id: str
    caller: str  # user | agent
    state: str = "ringing"  # ringing | connecting | active | ended
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    media: Any = None
    timer: asyncio.Task | None = None
    end_reason: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "call_id": self.id,
            "conversation_id": self.conversation_id,
            "kind": self.kind,
            "state": self.state,
            "caller": self.caller,
        }

    def party(self, role: str) -> str:
        return self.user_id if role == "user" else self.agent_id

    @property
    def participants(self) -> Participants:
        return Participants(self.conversation_id, self.user_id, self.agent_id)


def _default_media_factory(call: Call, on_state) -> Any:
    from media.calls import CallMedia

    return CallMedia(
        call.id,
        call.kind,
        get_settings().media.ice_servers,
        record=get_settings().media.call_recording,
        on_state=on_state,
    )


class Calls:
    """The calls of this process (one per conversation)."""

    def __init__(self, hub: Hub, limits: MediaSettings | None = None, media_factory: Callable | None = None) -> None:
        self.hub = hub
        self.limits = limits or get_settings().media
        self.media_factory = media_factory or _default_media_factory
        self.calls: dict[str, Call] = {}
        self.by_conv: dict[str, Call] = {}
        self.ended: list[dict] = []  # recent results, for tests and the benchmark

    def _role(self, namespace: str) -> str:
        return "user" if namespace == USER_NS else "agent"

    def _who(self, caller: Caller, data: dict) -> tuple[Any, str, Call]:
        key = data.get("call_id")
        call = self.calls.get(key) if isinstance(key, str) else None
        role = self._role(caller.namespace)
        if call is None or call.party(role) != caller.principal.id:
            raise ApiError(404, "call_not_found", "通话不存在或已结束")
        return caller.principal, role, call

    def _ringing_callee(self, caller: Caller, data: dict) -> tuple[Any, Call]:
        """The called party of a ringing call (accept and decline are theirs only)."""
        principal, role, call = self._who(caller, data)
        if call.state != "ringing" or role == call.caller:
            raise ApiError(409, "invalid_state", "当前通话状态下不能进行该操作")
        return principal, call

    async def locate(self, event: str, data: dict) -> str | None:
        """The process holding the call this event is about, when it is not this one."""
        if event == "call_invite":
            key = data.get("conversation_id")
            if isinstance(key, str) and key not in self.by_conv:
                return await self.hub.owners.owner("call", key)
            return None
        key = data.get("call_id")
        if isinstance(key, str) and key not in self.calls:
            return await self.hub.owners.owner_of_session("call", key)
        return None

    def _timer(self, call: Call, seconds: float, reason: str, states: tuple[str, ...]) -> None:
        if call.timer is not None:
            call.timer.cancel()

        async def fire() -> None:
            await asyncio.sleep(seconds)
            if call.state in states:
                call.timer = None
                await self._end(call, None, reason)

        call.timer = asyncio.ensure_future(fire())

    async def _end(self, call: Call, principal: Any, reason: str, orphan: bool = False) -> None:
        """End a call of this process (or report the end of an `orphan`, a call of a lost process)."""
        if call.state == "ended":
            return
        was = call.state
        call.state, call.end_reason = "ended", reason
        if call.timer is not None and call.timer is not asyncio.current_task():
            call.timer.cancel()
        self._forget(call)
        # False: another process took this one for dead and already told both sides
        report = orphan or await self.hub.release("call", call.conversation_id, call.id)
        duration = round(time.monotonic() - call.started, 1) if call.started else 0.0
        if report:
            await self.hub.send(
                call.participants, "call_state", call.public() | {"reason": reason, "duration_s": duration}
            )
        result = {"call_id": call.id, "reason": reason, "duration_s": duration, "recording": None}
        if call.media is not None:
            try:
                recording = await call.media.close()
            except Exception:  # noqa: BLE001
                log.exception("call %s: closing media failed", call.id)
                recording = None
            if recording is not None:
                result["recording"] = await self._store_recording(call, recording)
        event = "call_ended" if was == "active" else UNANSWERED_EVENTS.get(reason, "call_cancelled")
        if report:
            await self.hub.timeline(
                call.conversation_id,
                event,
                principal,
                {
                    "call_id": call.id,
                    "kind": call.kind,
                    "reason": reason,
                    "duration_s": duration,
                    "recording_media_id": result["recording"],
                },
            )
        self.ended.append(result)
        del self.ended[:-50]

    async def _store_recording(self, call: Call, recording) -> str | None:
        try:
            data = await asyncio.to_thread(Path(recording.path).read_bytes)
            collections = self.hub.desk.collections
            store = MediaStore(collections.db, collections.media)
            doc = await store.put(
                conversation_id=call.conversation_id,
                kind="recording",
                mime="video/mp4" if call.kind == "video" else "audio/mp4",
                data=data,
                uploader={"id": "system", "role": "system", "name": "通话录制"},
                extra={"duration_s": recording.duration_s, "call_id": call.id, "tracks": recording.streams},
            )
            return doc["_id"]
        except Exception:  # noqa: BLE001 - the call is over either way; the failure is logged
            log.exception("call %s: storing the recording failed", call.id)
            return None
        finally:
            try:
                os.unlink(recording.path)
            except OSError:
                pass

    async def _media_state(self, call: Call, role: str, state: str) -> None:
        if call.state == "ended":
            return
        if state == "connected" and call.state == "connecting" and all(call.media.connected.values()):
            call.state, call.started = "active", time.monotonic()
            if call.timer is not None:
                call.timer.cancel()
                call.timer = None
            self._timer(call, self.limits.call_max_s, "max_duration", ("active",))
            await self.hub.send(call.participants, "call_state", call.public())
            await self.hub.note("call", call.conversation_id, call.id, state="active", started_at=now())
            await self.hub.timeline(
                call.conversation_id, "call_started", None, {"call_id": call.id, "kind": call.kind}
            )
        elif state in ("failed", "closed"):
            await self._end(call, None, "connection_lost" if call.state == "active" else "failed")

    # --- handlers ---

    def invite(self, namespace: str):
        async def call_invite(caller: Caller, data: dict) -> dict:
            principal = caller.principal
            conv = await self.hub.conversation(principal, data.get("conversation_id"))
            kind = data.get("kind", "audio")
            if kind not in ("audio", "video"):
                raise ApiError(400, "bad_request", "通话类型不正确")
            if conv.id in self.by_conv:
                raise ApiError(409, "call_busy", "当前会话已有进行中的通话")
            role = self._role(namespace)
            call = Call(uuid.uuid4().hex, conv.id, kind, conv.user_id, conv.agent_id or "", role)
            self.calls[call.id] = call
            self.by_conv[call.conversation_id] = call
            await self._claim(call)
            self._timer(call, self.limits.call_ring_timeout_s, "missed", ("ringing",))
            invite = call.public() | {
                "from": {"role": role, "id": principal.id, "name": getattr(principal, "name", "")},
                "recording": True,
                "notice": RECORDING_NOTICE,
                "timeout_s": self.limits.call_ring_timeout_s,
            }
            await self.hub.send(call.participants, "call_invite", invite, ("user" if role == "agent" else "agent",))
            await self.hub.timeline(
                call.conversation_id, "call_invited", principal, {"call_id": call.id, "kind": kind}
            )
            return {"ok": True, **call.public(), "ice_servers": self.limits.ice_servers, "notice": RECORDING_NOTICE}

        return call_invite

    def accept(self, namespace: str):
        async def call_accept(caller: Caller, data: dict) -> dict:
            principal, call = self._ringing_callee(caller, data)
            call.state = "connecting"
            call.media = self.media_factory(call, lambda r, s: self._media_state(call, r, s))
            self._timer(call, self.limits.call_connect_timeout_s, "failed", ("connecting",))
            state = call.public() | {"ice_servers": self.limits.ice_servers}
            await self.hub.send(call.participants, "call_state", state)
            await self.hub.note("call", call.conversation_id, call.id, state="connecting")
            await self.hub.timeline(call.conversation_id, "call_accepted", principal, {"call_id": call.id})
            return {"ok": True, **call.public(), "ice_servers": self.limits.ice_servers, "notice": RECORDING_NOTICE}

        return call_accept

    def decline(self, namespace: str):
        async def call_decline(caller: Caller, data: dict) -> dict:
            principal, call = self._ringing_callee(caller, data)
            await self._end(call, principal, "declined")
            return {"ok": True, **call.public()}

        return call_decline

    def offer(self, namespace: str):
        async def call_offer(caller: Caller, data: dict) -> dict:
            principal, role, call = self._who(caller, data)
            if call.state not in ("connecting", "active") or call.media is None:
                raise ApiError(409, "invalid_state", "通话尚未接通")
            sdp = data.get("sdp")
            if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > 100_000:
                raise ApiError(400, "bad_request", "通话参数不正确")
            answer = await call.media.answer(role, sdp, data.get("type", "offer"))
            payload = {"call_id": call.id, **answer}
            await self.hub.sio.emit("call_answer", payload, to=caller.sid, namespace=caller.namespace)
            return {"ok": True, **payload}

        return call_offer

    def ice(self, namespace: str):
        async def call_ice(caller: Caller, data: dict) -> dict:
            _, role, call = self._who(caller, data)
            if call.media is not None and isinstance(data.get("candidate"), dict):
                await call.media.add_ice(role, data["candidate"])
            return {"ok": True}

        return call_ice

    def hangup(self, namespace: str):
        async def call_hangup(caller: Caller, data: dict) -> dict:
            principal, role, call = self._who(caller, data)
            reason = "cancelled" if call.state == "ringing" else "hangup"
            await self._end(call, principal, reason)
            return {"ok": True, **call.public()}

        return call_hangup

    async def end_for_conversation(self, conversation_id: str, reason: str = "conversation_closed") -> None:
        call = self.by_conv.get(conversation_id)
        if call is not None:
            await self._end(call, None, reason)

    async def end_orphan(self, doc: dict) -> None:
        """Report the end of a call whose process stopped (`doc`: its `media_sessions` entry)."""
        call = Call(doc["session_id"], doc["conversation_id"], doc["call_kind"], doc["user_id"], doc["agent_id"],
                    doc["caller"], state=doc.get("state", "ringing"))
        if doc.get("started_at") is not None:
            call.started = time.monotonic() - (now() - doc["started_at"]).total_seconds()
        await self._end(call, None, "connection_lost" if call.state == "active" else "failed", orphan=True)

    async def _claim(self, call: Call) -> None:
        fields = {"call_kind": call.kind, "user_id": call.user_id, "agent_id": call.agent_id,
                  "caller": call.caller, "state": call.state}
        try:
            owner = await self.hub.claim("call", call.conversation_id, call.id, fields)
        except BaseException:
            self._forget(call)
            raise
        if owner is not None:  # another process started a call for this conversation meanwhile
            self._forget(call)
            raise ApiError(409, "call_busy", "当前会话已有进行中的通话")

    def _forget(self, call: Call) -> None:
        self.calls.pop(call.id, None)
        if self.by_conv.get(call.conversation_id) is call:
            self.by_conv.pop(call.conversation_id)

    def register(self) -> None:
        for ns in (USER_NS, AGENT_NS):
            self.hub.on(ns, "call_invite", self.invite(ns), self.locate)
            self.hub.on(ns, "call_accept", self.accept(ns), self.locate)
            self.hub.on(ns, "call_decline", self.decline(ns), self.locate)
            self.hub.on(ns, "call_offer", self.offer(ns), self.locate)
            self.hub.on(ns, "call_ice", self.ice(ns), self.locate)
            self.hub.on(ns, "call_hangup", self.hangup(ns), self.locate)

"""Ask a running Bangban questions through the client contract, as a citizen's app would.

    ./bangban bench ask_contract --file F --out O.jsonl [--base http://127.0.0.1:8080] [--quiet 1.0]
        [--concurrency 2] [--channel app]

For every question of F (YAML: a list, or a mapping with `questions:`; each item has `text`, optional `id`,
optional `after` = the id or the text of a first turn, and any labels) a new citizen gets a development token
(`POST /api/v1/dev/user-token`; the token's kind is the item's `user_kind`, or its `kind` where that is
`person` or `enterprise`, else `person`: a label such as `kind: matter` is not a user kind), connects to
`/user` with python-socketio's client, opens a new conversation with the question (a follow-up: its `after`
turn first, then the question once the bot has answered that) and records what came back until the
conversation is quiet for `--quiet` seconds: the replies (sender role, text, buttons, `meta`), the states,
whether a handoff happened, latencies. Then it ends the conversation.

An item may instead carry `turns:` (a whole conversation, also under a top-level `conversations:`): a list
whose entries are texts or `{button: X}`, a click on the button of the previous turn's replies whose payload
names X (a matter or article id; `request_human` clicks the 转人工 button). A click sends the payload as the
text of a message, as the clients do, and the 转人工 payload `/request_human` calls `handoff` instead. Every
turn's replies, states and meta go to the record's `turn_records`; a click without such a button is recorded
as that turn's `error` and the conversation goes on. One JSON line per question goes to O,
with the question's own labels copied, so a trainer can judge the answers afterwards (docs/bot.md,
"Evaluation"). Nothing goes through internal routes: only what protocol.md promises a client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import socketio
import yaml

HANDOFF_STATES = ("queued", "with_agent", "escalated")
USER_KINDS = ("person", "enterprise")
REPLY_ROLES = ("bot", "system", "agent")


def load_questions(path: Path) -> list[dict[str, Any]]:
    """The questions of a YAML file: a list, or a mapping whose `questions` is one."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        items = data.get("questions") or data.get("conversations") or []
    else:
        items = data
    out = []
    for i, item in enumerate(items or []):
        q = {"text": item} if isinstance(item, str) else dict(item)
        q.setdefault("id", f"q{i + 1:03d}")
        out.append(q)
    return out


def first_turn_text(q: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> str | None:
    """The text of a follow-up's first turn: the question `after` names, or `after` itself."""
    after = q.get("after")
    if not after:
        return None
    return by_id[after]["text"] if after in by_id else str(after)


def citizen_kind(q: dict[str, Any]) -> str:
    """The user kind of the asking citizen's token: `user_kind`, else a `kind` that is a user kind, else person."""
    for key in ("user_kind", "kind"):
        if q.get(key) in USER_KINDS:
            return str(q[key])
    return "person"


def answer_meta(replies: list[dict[str, Any]]) -> dict[str, Any]:
    """What the bot understood: the meta of its first reply that names an article, else of its first reply."""
    bot = [r for r in replies if r["role"] == "bot"]
    named = [r for r in bot if (r.get("meta") or {}).get("kb_article")]
    return dict((named or bot or [{"meta": {}}])[0].get("meta") or {})


HUMAN_PAYLOAD = "/request_human"


def turn_text(turn: Any) -> str | None:
    """The text a conversation turn types, or None where the turn is a button click."""
    if isinstance(turn, dict):
        return None if "button" in turn else str(turn.get("text", ""))
    return str(turn)


def find_button(replies: list[dict[str, Any]], target: str) -> dict[str, Any] | None:
    """The button of `replies` whose payload names `target` (the last offered first), else None."""
    buttons = [b for r in replies for b in r.get("buttons") or []]
    for button in reversed(buttons):
        payload = str(button.get("payload") or "")
        if target == "request_human" and payload == HUMAN_PAYLOAD:
            return button
        if target and target in payload:
            return button
    return None


class Citizen:
    """One citizen's `/user` connection that records every message and state it receives."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.messages: list[dict[str, Any]] = []
        self.states: list[dict[str, Any]] = []
        self.changed = asyncio.Event()
        self.sio.on("message", self._on_message, namespace="/user")
        self.sio.on("state", self._on_state, namespace="/user")

    async def _on_message(self, data: dict[str, Any]) -> None:
        self.messages.append({**data, "_t": time.perf_counter()})
        self.changed.set()

    async def _on_state(self, data: dict[str, Any]) -> None:
        self.states.append(data)
        self.changed.set()

    async def connect(self) -> None:
        await self.sio.connect(self.base, namespaces=["/user"], auth={"token": self.token},
                               transports=["websocket"], wait_timeout=15)

    async def call(self, event: str, data: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        return await self.sio.call(event, data, namespace="/user", timeout=timeout)

    async def settle(self, after_seq: int, quiet: float, timeout: float) -> None:
        """Wait for a reply after `after_seq`, then until nothing new came for `quiet` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            replied = any(m.get("seq", 0) > after_seq and m["sender"]["role"] in REPLY_ROLES
                          for m in self.messages)
            self.changed.clear()
            wait = min(quiet, deadline - loop.time()) if replied else deadline - loop.time()
            try:
                await asyncio.wait_for(self.changed.wait(), max(wait, 0.01))
            except TimeoutError:
                if replied:
                    return

    async def ask(self, text: str, conversation_id: str | None, quiet: float, timeout: float) -> dict[str, Any]:
        """Send one text message and collect the replies of its turn."""
        mark, seen_states = time.perf_counter(), len(self.states)
        body = {"client_msg_id": uuid.uuid4().hex, "type": "text", "text": text}
        if conversation_id:
            body["conversation_id"] = conversation_id
        ack = await self.call("message", body)
        if not ack.get("ok"):
            raise RuntimeError(f"message refused: {ack.get('error')}")
        ack_ms = (time.perf_counter() - mark) * 1000
        await self.settle(ack["seq"], quiet, timeout)
        got = [m for m in self.messages if m.get("seq", 0) > ack["seq"] and m["sender"]["role"] in REPLY_ROLES]
        self.messages = [m for m in self.messages if m not in got]
        replies = [{"seq": m["seq"], "role": m["sender"]["role"], "text": m.get("text") or "",
                    "buttons": m.get("buttons") or [], "meta": m.get("meta") or {}} for m in got]
        states = [s.get("state") for s in self.states[seen_states:]]
        return {"conversation_id": ack["conversation_id"], "replies": replies, "states": states,
                "ack_ms": round(ack_ms, 1),
                "first_reply_ms": round((got[0]["_t"] - mark) * 1000, 1) if got else None}

    async def handoff(self, conversation_id: str, quiet: float, timeout: float) -> dict[str, Any]:
        """Ask for a person as the client's 转人工 button does, and collect what the turn brought."""
        mark, seen_states = time.perf_counter(), len(self.states)
        last_seq = max((m.get("seq", 0) for m in self.messages), default=0)
        ack = await self.call("handoff", {"conversation_id": conversation_id, "reason": "user_request"})
        if not ack.get("ok"):
            raise RuntimeError(f"handoff refused: {ack.get('error')}")
        await self.settle(last_seq, quiet, min(timeout, quiet * 3))
        got = [m for m in self.messages if m["sender"]["role"] in REPLY_ROLES]
        self.messages = [m for m in self.messages if m not in got]
        replies = [{"seq": m["seq"], "role": m["sender"]["role"], "text": m.get("text") or "",
                    "buttons": m.get("buttons") or [], "meta": m.get("meta") or {}} for m in got]
        states = [s.get("state") for s in self.states[seen_states:]] + [ack.get("state")]
        return {"conversation_id": conversation_id, "replies": replies, "states": states,
                "ack_ms": round((time.perf_counter() - mark) * 1000, 1), "first_reply_ms": None}

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def user_token(http: aiohttp.ClientSession, base: str, channel: str, kind: str) -> str:
    body = {"sub": f"outside-{uuid.uuid4().hex[:12]}", "name": "外部测评", "channel": channel, "kind": kind}
    async with http.post(f"{base}/api/v1/dev/user-token", json=body) as resp:
        data = await resp.json()
        if resp.status != 200:
            raise RuntimeError(f"no user token ({resp.status}): {data}")
        return data["token"]


async def play_turn(citizen: Citizen, args: argparse.Namespace, turn: Any, conversation_id: str | None,
                    previous: list[dict[str, Any]]) -> dict[str, Any]:
    """One turn of a conversation: type its text, or click the previous replies' button it names."""
    text = turn_text(turn)
    if text is not None:
        return {"sent": text, **await citizen.ask(text, conversation_id, args.quiet, args.timeout)}
    target = str(turn["button"])
    button = find_button(previous, target)
    if button is None or conversation_id is None:
        return {"sent": None, "button": target, "error": "no such button", "replies": [], "states": []}
    if button.get("payload") == HUMAN_PAYLOAD:
        done = await citizen.handoff(conversation_id, args.quiet, args.timeout)
    else:
        done = await citizen.ask(str(button["payload"]), conversation_id, args.quiet, args.timeout)
    return {"sent": button.get("payload"), "button": target, "title": button.get("title"), **done}


async def play_conversation(citizen: Citizen, args: argparse.Namespace, turns: list[Any]) -> dict[str, Any]:
    """Every turn of a conversation in order: the per-turn records, and the last turn's as the item's own."""
    records: list[dict[str, Any]] = []
    conversation_id, previous, handed_off = None, [], False
    for turn in turns:
        done = await play_turn(citizen, args, turn, conversation_id, previous)
        conversation_id = done.get("conversation_id") or conversation_id
        handed_off = handed_off or any(s in HANDOFF_STATES for s in done["states"])
        records.append({**done, "meta": answer_meta(done["replies"]), "handoff": handed_off})
        previous = done["replies"] or previous
    last = records[-1] if records else {"replies": [], "states": [], "meta": {}, "handoff": False}
    return {"conversation_id": conversation_id, "turn_records": records, "replies": last["replies"],
            "states": last["states"], "meta": last["meta"], "handoff": handed_off,
            "first_reply_ms": next((r.get("first_reply_ms") for r in records if r.get("first_reply_ms")), None)}


async def ask_one(http: aiohttp.ClientSession, args: argparse.Namespace, q: dict[str, Any],
                  by_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One question in a new conversation of a new citizen: the JSON record of what came back."""
    record: dict[str, Any] = {**q}
    citizen = Citizen(args.base, await user_token(http, args.base, args.channel, citizen_kind(q)))
    try:
        await citizen.connect()
        if q.get("turns"):
            record.update(await play_conversation(citizen, args, list(q["turns"])))
            if not args.keep and record.get("conversation_id"):
                await citizen.call("end", {"conversation_id": record["conversation_id"]})
            return record
        conversation_id = None
        first = first_turn_text(q, by_id)
        if first is not None:
            turn = await citizen.ask(first, None, args.quiet, args.timeout)
            conversation_id = turn["conversation_id"]
            record.update(after_text=first, after_replies=turn["replies"], after_meta=answer_meta(turn["replies"]))
        turn = await citizen.ask(q["text"], conversation_id, args.quiet, args.timeout)
        meta = answer_meta(turn["replies"])
        record.update(turn, meta=meta, handoff=any(s in HANDOFF_STATES for s in turn["states"]))
        if not args.keep:
            await citizen.call("end", {"conversation_id": turn["conversation_id"]})
    except Exception as exc:  # one failed question must not stop the run: it is recorded as such
        record["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        await citizen.close()
    return record


async def ask_all(args: argparse.Namespace, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {q["id"]: q for q in questions}
    sem = asyncio.Semaphore(args.concurrency)
    async with aiohttp.ClientSession() as http:

        async def limited(q: dict[str, Any]) -> dict[str, Any]:
            async with sem:
                return await ask_one(http, args, q, by_id)

        return await asyncio.gather(*(limited(q) for q in questions))


def summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts that need no judging: answered, with an article, with a matter, handed off, errors, latency."""
    ok = [r for r in records if "error" not in r]
    first = sorted(r["first_reply_ms"] for r in ok if r.get("first_reply_ms") is not None)
    return {"questions": len(records), "errors": len(records) - len(ok),
            "with_article": sum(bool(r["meta"].get("kb_article")) for r in ok),
            "with_matter": sum(bool(r["meta"].get("matter")) for r in ok),
            "handed_off": sum(r["handoff"] for r in ok),
            "first_reply_ms_p50": first[len(first) // 2] if first else None,
            "first_reply_ms_p95": first[max(0, int(round(0.95 * len(first))) - 1)] if first else None}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, required=True, help="the questions (YAML)")
    ap.add_argument("--out", type=Path, required=True, help="where the records go (JSON lines)")
    ap.add_argument("--base", default="http://127.0.0.1:8080", help="the bridge's address")
    ap.add_argument("--channel", default="app", help="the citizens' channel claim")
    ap.add_argument("--quiet", type=float, default=1.0, help="seconds without news that end a turn")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a turn's first reply")
    ap.add_argument("--concurrency", type=int, default=2, help="conversations at once")
    ap.add_argument("--keep", action="store_true", help="leave the conversations open (no `end`)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    questions = load_questions(args.file)
    records = asyncio.run(ask_all(args, questions))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
    print(json.dumps(summary(records), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

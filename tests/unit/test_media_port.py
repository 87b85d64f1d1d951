"""Media behind one port: the bridge's implementation (`bridge/media_port.py`) and the import boundary."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

from bridge.domain.auth import Principal
from bridge.media_port import MediaDesk
from media.port import Participants

ROOT = Path(__file__).resolve().parents[2]


class Recorded:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name: str):
        async def record(*args, **kwargs):
            self.calls.append((name, *args))
        return record


class Conversations:
    def __init__(self, *convs: dict) -> None:
        self.items = {c["_id"]: c for c in convs}

    async def get(self, conversation_id: str) -> dict | None:
        return self.items.get(conversation_id)


def desk(conversations: Conversations, delivery: Recorded | None = None, timeline: Recorded | None = None):
    presence = SimpleNamespace(process_id="p1", dead_after_s=15.0)
    return MediaDesk(sessions=None, tokens=None, staff=None, conversations=conversations,
                     timeline=timeline or Recorded(), delivery=delivery or Recorded(), presence=presence,
                     collections=None)


def test_media_imports_nothing_from_the_bridge():
    for path in sorted((ROOT / "media").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n == "bridge" or n.startswith("bridge.")], path


def test_only_the_composition_root_imports_media():
    importers = {str(p.relative_to(ROOT)) for p in (ROOT / "bridge").rglob("*.py")
                 if any(line.startswith(("from media", "import media")) for line in p.read_text().splitlines())}
    assert importers <= {"bridge/app.py", "bridge/media_port.py"}, importers
    assert "find_spec(\"media" not in (ROOT / "bridge" / "app.py").read_text()


async def test_deliver_goes_to_the_user_devices_and_the_agent_it_names():
    delivery = Recorded()
    port = desk(Conversations(), delivery)
    to = Participants("c1", "u1", "a1")
    await port.deliver(to, "call_state", {"state": "active"})
    await port.deliver(to, "cobrowse_pointer", {"x": 1}, ("user",))
    await port.deliver(Participants("c2", "u2", None), "cobrowse_state", {})
    assert delivery.calls == [
        ("to_user", "u1", "call_state", {"state": "active"}),
        ("to_staff", "a1", "call_state", {"state": "active"}),
        ("to_user", "u1", "cobrowse_pointer", {"x": 1}),
        ("to_user", "u2", "cobrowse_state", {}),
    ]


async def test_conversation_only_for_those_who_may_use_it():
    conv = {"_id": "c1", "state": "with_agent", "department": "housing-fund",
            "user": {"id": "u1", "name": "市民"}, "agent": {"id": "a1", "name": "王芳"}}
    port = desk(Conversations(conv))
    seen = await port.conversation(Principal("a1", "agent", "王芳"), "c1")
    assert (seen.id, seen.state, seen.user_id, seen.agent_id, seen.agent_name) == (
        "c1", "with_agent", "u1", "a1", "王芳")
    assert seen.participants == Participants("c1", "u1", "a1")
    assert await port.conversation(Principal("u1", "user", "市民"), "c1") is not None
    assert await port.conversation(Principal("u2", "user", "别人"), "c1") is None
    assert await port.conversation(Principal("a2", "agent", "李"), "c1") is None
    assert await port.conversation(Principal("u1", "user", "市民"), "missing") is None
    assert port.process_id == "p1" and port.process_dead_s == 15.0


async def test_own_files_for_offline_helpers_their_uploader_and_cited_readers():
    class Ledger:
        async def may_see_photo(self, principal, media_id: str) -> bool:
            return principal.role == "supervisor" and media_id == "m1"

    port = desk(Conversations())
    volunteer, supervisor = Principal("v1", "volunteer", "陈"), Principal("s1", "supervisor", "周")
    assert await port.may_upload_own(volunteer)
    assert not await port.may_upload_own(Principal("a1", "agent", "王芳"))
    assert not await port.may_upload_own(Principal("u1", "user", "市民"))
    assert await port.may_read_own(volunteer, "v1", "m1")
    assert not await port.may_read_own(supervisor, "v1", "m1")  # no ledger to ask: its uploader only
    port = MediaDesk(**{**port.__dict__, "offline_help": Ledger()})
    assert await port.may_read_own(supervisor, "v1", "m1")
    assert not await port.may_read_own(supervisor, "v1", "m2")
    assert not await port.may_read_own(Principal("v2", "volunteer", "李"), "v1", "m1")

"""`./bangban run` keeps serving when a process crashes (kill -9), and stops on a crash loop.

The launcher itself runs here (`python -m ops.run --free-ports`, a fresh var/), exactly as a user starts it,
only on free ports so that it does not clash with a running copy.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from core.settings import ROOT
from tests.support import Client

PY = str(ROOT / ".venv" / "bin" / "python")
CLEARED = ("MONGO_URL", "REDIS_URL", "HOTLINE_URL", "RASA_URL", "ACTIONS_URL", "BANGBAN_PORT", "BANGBAN_ENV")


class Launcher:
    """A running `ops.run` with its printed base URL and the pids it writes to var/run.json."""

    def __init__(self, var: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env.update({"BANGBAN_VAR": str(var), "PYTHONUNBUFFERED": "1", "RASA_TIMEOUT_S": "4"})
        self.var = var
        self.lines: list[str] = []
        self.proc = subprocess.Popen([PY, "-m", "ops.run", "--free-ports"], cwd=ROOT, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.base_url = self._wait_for_url(420)

    def _wait_for_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip())
            m = re.search(r"health\s+(http://127\.0\.0\.1:\d+)/healthz", line)
            if m:
                return m.group(1)
        raise AssertionError("launcher did not start:\n" + "\n".join(self.lines[-40:]))

    def pid(self, name: str) -> int:
        return json.loads((self.var / "run.json").read_text())["pids"][name]

    def kill9(self, name: str) -> int:
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_restarted(self, name: str, old_pid: int, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                pid = self.pid(name)
            except (KeyError, ValueError, OSError):
                pid = old_pid
            if pid != old_pid:
                return pid
            time.sleep(0.05)
        raise AssertionError(f"{name} was not restarted")

    def rest_of_output(self, timeout: float) -> str:
        out, _ = self.proc.communicate(timeout=timeout)
        return "\n".join(self.lines) + "\n" + (out or "")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def launcher() -> Iterator[Launcher]:
    run = Launcher(Path(tempfile.mkdtemp(prefix="bangban-supervision-")))
    try:
        yield run
    finally:
        run.stop()


async def healthz(base_url: str) -> dict:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as s:
            async with s.get(f"{base_url}/healthz") as r:
                return await r.json() if r.status in (200, 503) else {}
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return {}


async def green_within(base_url: str, timeout: float) -> float:
    """Seconds until /healthz answers ok (fails after `timeout`)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if (await healthz(base_url)).get("ok"):
            return time.monotonic() - t0
        await asyncio.sleep(0.1)
    raise AssertionError(f"/healthz not green within {timeout} s: {await healthz(base_url)}")


async def citizen(base_url: str, sub: str) -> Client:
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{base_url}/api/v1/dev/user-token",
                          json={"sub": sub, "name": "测试用户", "channel": "app", "kind": "person"}) as r:
            token = (await r.json())["token"]
    return await Client(base_url, "/user", token).connect()


async def ask(user: Client, text: str) -> tuple[str, int]:
    """Send `text`; wait for the bot's answer to it; (conversation id, the acked seq)."""
    ack = await user.call("message", {"client_msg_id": uuid.uuid4().hex, "type": "text", "text": text})
    assert ack["ok"], ack
    await user.wait_for("message", timeout=60, conversation_id=ack["conversation_id"],
                        pred=lambda m: m["sender"]["role"] == "bot" and m["seq"] > ack["seq"])
    return ack["conversation_id"], ack["seq"]


async def test_kill9_bridge_is_restarted_within_5s_and_clients_resume(launcher: Launcher):
    sub = f"u-{uuid.uuid4().hex[:8]}"
    user = await citizen(launcher.base_url, sub)
    conv, seq = await ask(user, "公积金怎么提取")
    await user.close()
    old = launcher.kill9("bridge-0")
    launcher.wait_restarted("bridge-0", old, timeout=10)
    took = await green_within(launcher.base_url, 5)
    print(f"bridge green again {took:.1f} s after the restart")
    user = await citizen(launcher.base_url, sub)
    try:
        synced = await user.call("sync", {"conversation_id": conv, "after_seq": 0})
        seqs = [m["seq"] for m in synced["messages"]]
        assert seq in seqs and seqs == list(range(1, len(seqs) + 1)), synced
        await ask(user, "提取公积金需要什么材料")
    finally:
        await user.close()


@pytest.mark.parametrize("name", ["rasa", "actions"])
async def test_kill9_bot_process_is_restarted_and_the_bot_answers_again(launcher: Launcher, name: str):
    old = launcher.kill9(name)
    launcher.wait_restarted(name, old, timeout=10)
    await green_within(launcher.base_url, 240)
    user = await citizen(launcher.base_url, f"u-{uuid.uuid4().hex[:8]}")
    try:
        await ask(user, "居住证怎么办理")
    finally:
        await user.close()


async def test_a_crash_loop_stops_the_launcher_naming_the_process_and_its_log(launcher: Launcher):
    pid = launcher.pid("hotline")
    for _ in range(5):
        os.kill(pid, signal.SIGKILL)
        pid = launcher.wait_restarted("hotline", pid, timeout=40)
    os.kill(pid, signal.SIGKILL)
    out = launcher.rest_of_output(timeout=90)
    assert launcher.proc.returncode == 0
    assert re.search(r"hotline exited 6 times within 60 s; giving up \(see .*hotline\.log\)", out), out[-2000:]
    assert "stopped." in out

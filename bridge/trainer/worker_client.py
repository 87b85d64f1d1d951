"""The bridge side of `rasa_worker.py`: one lazily started process, one request at a time."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

from core.settings import ROOT
from ops.model import rasa_bin, rasa_env

log = logging.getLogger("bangban.trainer.worker")
SCRIPT = Path(__file__).resolve().parent / "rasa_worker.py"


class RasaWorker:
    def __init__(self, timeout_s: float = 300.0) -> None:
        self.timeout_s = timeout_s
        self.proc: asyncio.subprocess.Process | None = None
        self.lock = asyncio.Lock()

    async def _start(self) -> asyncio.subprocess.Process:
        python = rasa_bin().parent / "python"
        env = {**os.environ, **rasa_env(), "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
        self.proc = await asyncio.create_subprocess_exec(
            str(python), str(SCRIPT), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, env=env, cwd=str(ROOT), limit=16 * 1024 * 1024)
        return self.proc

    async def call(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request and wait for its answer (restarting the process if it died)."""
        async with self.lock:
            proc = self.proc
            if proc is None or proc.returncode is not None:
                proc = await self._start()
            assert proc.stdin and proc.stdout
            proc.stdin.write((json.dumps(request, ensure_ascii=False) + "\n").encode())
            await proc.stdin.drain()
            try:
                line = await asyncio.wait_for(proc.stdout.readline(), self.timeout_s)
            except TimeoutError:
                await self.stop()
                return {"ok": False, "errors": ["Rasa 校验进程超时"]}
            if not line:
                self.proc = None
                return {"ok": False, "errors": ["Rasa 校验进程异常退出"]}
            return json.loads(line)

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()

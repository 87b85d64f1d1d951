"""The action server's runtime: the KB files' index is built once however many first turns ask at once."""

from __future__ import annotations

import asyncio
import threading

import bot.actions.runtime as runtime_module
from bot.actions.runtime import Runtime
from kb.loader import Article


class _Kb:
    def __init__(self, articles: list[Article]) -> None:
        self.articles = articles


async def test_concurrent_first_turns_build_the_files_index_once(monkeypatch):
    builds: list[int] = []
    gate = threading.Event()

    def load_kb() -> _Kb:
        builds.append(1)
        gate.wait(5)  # every caller is waiting by the time the build ends
        return _Kb([])

    monkeypatch.setattr(runtime_module, "load_kb", load_kb)
    rt = Runtime(store=object())
    waiting = [asyncio.create_task(rt._files_index()) for _ in range(4)]
    await asyncio.sleep(0.05)
    gate.set()
    indexes = await asyncio.gather(*waiting)
    assert len(builds) == 1
    assert all(i is indexes[0] for i in indexes)

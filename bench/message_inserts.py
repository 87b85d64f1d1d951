"""What a stored message costs the database, by how inserts are grouped: CPU per message, load-independent.

Starts the embedded database alone (pinned like under `./bangban run`, `ops/embedded_db.py`) with the real
indexes and journaled writes, then:
- fixed batches: `insert_many` of 1, 4, 16, 64 message documents at a time (the cost per command and
  per document);
- two "bridges" (two clients, each with its own `InsertBatcher` lingering before every batch, as the message
  store's does with `MESSAGE_LINGER_MS`) storing messages at `--rate` per second together, lingering 0, 5 and
  10 ms: database CPU per message, documents per command and the insert's latency (wall clock: depends on
  the machine's other work).

    flock /tmp/bangban-bench.lock .venv/bin/python -m bench.message_inserts --rate 400 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

from bench.common import pct
from bench.load import _cpu
from bridge.infra.message_store import LINGER_S
from bridge.infra.write_batch import InsertBatcher
from core.db import Store, connect
from core.settings import load_settings
from ops.procs import free_port

CONVERSATIONS = 1000


class Messages:
    """Message documents of `CONVERSATIONS` conversations, numbered."""

    def __init__(self) -> None:
        self.convs = [uuid.uuid4().hex for _ in range(CONVERSATIONS)]
        self.seqs = dict.fromkeys(self.convs, 0)
        self.n = 0

    def next(self) -> dict[str, Any]:
        self.n += 1
        c = self.convs[self.n % CONVERSATIONS]
        self.seqs[c] += 1
        return {"_id": uuid.uuid4().hex, "conversation_id": c, "seq": self.seqs[c], "type": "text",
                "sender": {"role": "user", "id": f"u-{c[:8]}", "name": "压测用户"}, "meta": {},
                "text": f"请问进度@{time.time():.6f}", "ts": dt.datetime.now(dt.timezone.utc),
                "client_msg_id": uuid.uuid4().hex}


async def fixed_batches(store: Store, pid: int, gen: Messages) -> dict[str, float]:
    out = {}
    for size in (1, 4, 16, 64):
        n = 1000 if size == 1 else 2000
        c0 = _cpu(pid)
        for _ in range(n // size):
            docs = [gen.next() for _ in range(size)]
            await (store.messages.insert_one(docs[0]) if size == 1 else store.messages.insert_many(docs))
        out[f"batch {size}"] = round((_cpu(pid) - c0) * 1000 / n, 3)
    return out


async def two_bridges(stores: list[Store], pid: int, gen: Messages, rate: float, seconds: float,
                      linger_s: float) -> dict[str, Any]:
    batchers = [InsertBatcher(s.messages, linger_s=linger_s, linger_each=True) for s in stores]
    lat: list[float] = []

    async def one(b: InsertBatcher) -> None:
        t = time.perf_counter()
        await b.insert(gen.next())
        lat.append((time.perf_counter() - t) * 1000)

    tasks = set()
    c0, t0, sent = _cpu(pid), time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        task = asyncio.create_task(one(batchers[sent % len(batchers)]))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        sent += 1
        await asyncio.sleep(max(0.0, t0 + sent / rate - time.perf_counter()))
    await asyncio.gather(*tasks)
    return {"linger_ms": linger_s * 1000, "messages": sent,
            "database_cpu_ms_per_message": round((_cpu(pid) - c0) * 1000 / sent, 3),
            "docs_per_insert_command": round(sum(b.documents for b in batchers) / sum(b.batches for b in batchers), 2),
            "insert_ms": {p: round(pct(lat, p), 1) for p in (50, 99)}}


async def measure(url: str, pid: int, rate: float, seconds: float) -> dict[str, Any]:
    stores = [connect(load_settings().model_copy(update={"mongo_url": url})) for _ in range(2)]
    try:
        for _ in range(100):
            try:
                await stores[0].ensure_indexes()
                break
            except Exception:  # noqa: BLE001 - still starting
                await asyncio.sleep(0.2)
        gen = Messages()
        result: dict[str, Any] = {"database_cpu_ms_per_document_by_batch": await fixed_batches(stores[0], pid, gen),
                                  "two_bridges": []}
        lingers = sorted({LINGER_S, 0.005, 0.010})
        for linger in lingers + lingers:  # alternated: the machine's other work changes meanwhile
            result["two_bridges"].append(await two_bridges(stores, pid, gen, rate, seconds, linger))
        return result
    finally:
        for s in stores:
            await s.client.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rate", type=float, default=400, help="messages per second, both bridges together")
    p.add_argument("--seconds", type=float, default=10)
    a = p.parse_args()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ops.embedded_db", "--host", "127.0.0.1", "--port", str(port),
                             "--storage-path", tempfile.mkdtemp(prefix="bangban-inserts-")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"mongodb://127.0.0.1:{port}/?retryWrites=false&journal=true"
        print(json.dumps(asyncio.run(measure(url, proc.pid, a.rate, a.seconds)), ensure_ascii=False, indent=1))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()

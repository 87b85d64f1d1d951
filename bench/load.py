"""Load benchmark: many simulated users and agents in separate processes over loopback.

Reports, for N bridge processes: concurrent connections held, bridge memory per connection
(RSS delta / connections), messages per second, delivery latency p50/p95/p99 (user→agent and
agent→user, measured across processes with the wall clock), and bot turns per second (against a
Rasa stand-in that answers at once, so that the bridge's own cost is measured, not the model's).

Phases: connections; conversations (agents×5 users hand off, then each of these conversations has its first
exchange — a question and the agent's first reply —, then the bot users open theirs); a settle until no message
is stored (the idle cost of the sockets is read meanwhile); the load phase at `--rate`; bot turns.

    .venv/bin/python -m bench.load --bridges 1 --users 5000 --agents 100 --rate 200 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import logging
import multiprocessing as mp
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from bench.common import cpu_probe_s, make_staff, pct, start_system, store_of
from bench.stage_sampler import StageSampler
from core.gc_pauses import GcTimer
from core.tasks import watch_loop

DEP, MATTER = "housing-fund", "housing-fund-withdrawal"
# each conversation's first exchange, before the load phase (`_warm_up`); the agents answer it with WARM_REPLY
WARM_UP, WARM_REPLY = "您好，在吗？", "您好，请讲。"
CLIENT_ENV = "BANGBAN_BENCH_CLIENT"  # lite (bench/sio_lite.py) or python-socketio, read by the client processes
CLIENT_GC_ENV = "BANGBAN_BENCH_CLIENT_GC"  # freeze (default) or python: the client processes' garbage collector


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def user_token(secret: str, sub: str) -> str:
    t = int(time.time())
    return jwt.encode({"sub": sub, "name": "压测用户", "kind": "person", "channel": "app", "typ": "user",
                       "iat": t, "exp": t + 7200, "jti": uuid.uuid4().hex}, secret, algorithm="HS256")


# --- a Rasa stand-in ---------------------------------------------------------------------------
def rasa_stub(port: int) -> None:
    from aiohttp import web

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response([{"recipient_id": body.get("sender"), "text": f"小申收到：{body.get('message')}"}])

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"model_file": "stub"})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/status", status)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# --- worker processes --------------------------------------------------------------------------
async def _connect(url: str, ns: str, token: str, handlers: dict[str, Any]):
    if os.environ.get(CLIENT_ENV, "lite") == "lite":
        from bench import sio_lite
        return await sio_lite.connect(url, ns, {"token": token}, handlers)
    import socketio
    sio = socketio.AsyncClient(reconnection=False)
    for event, fn in handlers.items():
        sio.on(event, fn, namespace=ns)
    await sio.connect(url, namespaces=[ns], auth={"token": token}, transports=["websocket"], wait_timeout=30)
    return sio


async def _close_sessions() -> None:
    if os.environ.get(CLIENT_ENV, "lite") == "lite":
        from bench import sio_lite
        await sio_lite.close_sessions()


def _quiet_client_logs() -> None:
    # engine.io's client logs "packet queue is empty, aborting" as an error on every normal disconnect
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)


class GcPauses:
    """The pauses of this process's garbage collector: (wall-clock start, generation, milliseconds)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, int, float]] = []
        self._timer = GcTimer(lambda generation, at, seconds: self.pauses.append((at, generation, seconds * 1000)))
        self._timer.install()

    def stop(self) -> None:
        """Stop recording."""
        self._timer.remove()


def epoch(iso: str) -> float:
    """Seconds since the epoch of an ISO 8601 time as the bridge and the logs write it (…Z)."""
    return dt.datetime.fromisoformat(iso).timestamp()


def record_stalls(stalls: list[tuple[float, float]]) -> Callable[[float], None]:
    """A `core.tasks.watch_loop` callback keeping (wall-clock time, milliseconds late) of each stall: a stalled
    client times its deliveries late, and the benchmark must tell that from the system's latency."""
    return lambda late: stalls.append((time.time(), late * 1000))


def settle_client_heap() -> None:
    """Take a load client's long-lived objects (its thousands of sockets) out of later collections.

    A user process holds 2,000 sockets; its first full collection after the connections phase walks all
    their objects and stalls every socket of the process for a few hundred milliseconds, which the
    benchmark would count as the system's latency. The bridge does the same for its own start-up objects
    (`bridge/infra/runtime.py`). `BANGBAN_BENCH_CLIENT_GC=python` keeps Python's default, to compare.
    """
    if os.environ.get(CLIENT_GC_ENV, "freeze") == "freeze":
        gc.collect()
        gc.freeze()


def user_worker(idx: int, urls: list[str], tokens: list[str], n_active: int, n_bot: int, rate: float,
                seconds: float, bot_seconds: float, ctl: Any, out: Any) -> None:
    _quiet_client_logs()
    asyncio.run(_user_worker(idx, urls, tokens, n_active, n_bot, rate, seconds, bot_seconds, ctl, out))


async def _user_worker(idx, urls, tokens, n_active, n_bot, rate, seconds, bot_seconds, ctl, out) -> None:
    lat: list[float] = []
    bot_replies = {"n": 0}
    waiting: dict[str, asyncio.Future] = {}
    clients = []
    sem = asyncio.Semaphore(40)

    answered: set[str] = set()  # conversations with a bot reply
    warm: dict[str, Any] = {"answered": set(), "awaited": set(), "all": asyncio.Event()}
    awaited: set[str] = set()  # the bot conversations whose first reply the load phase waits for
    all_answered = asyncio.Event()

    def on_message(data: dict) -> None:
        role = data["sender"]["role"]
        if role == "agent" and "@" in data["text"]:
            lat.append((time.time() - float(data["text"].rsplit("@", 1)[1])) * 1000)
        elif role == "agent" and data["text"] == WARM_REPLY:
            warm["answered"].add(data["conversation_id"])
            if warm["awaited"] <= warm["answered"]:
                warm["all"].set()
        elif role == "bot":
            bot_replies["n"] += 1
            answered.add(data["conversation_id"])
            if awaited and awaited <= answered:
                all_answered.set()
            fut = waiting.pop(data["conversation_id"], None)
            if fut and not fut.done():
                fut.set_result(None)

    async def one(i: int, token: str):
        async with sem:
            return await _connect(urls[i % len(urls)], "/user", token, {"message": on_message})

    results = await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens)), return_exceptions=True)
    clients = [r for r in results if not isinstance(r, BaseException)]
    out.put(("connected", idx, len(clients), len(tokens) - len(clients)))
    # waiting in an executor keeps the loop answering engine.io pings (a blocked loop loses its sockets)
    await asyncio.get_running_loop().run_in_executor(None, ctl["go_conversations"].wait)
    opening = asyncio.Semaphore(10)  # users arriving together, not all at the same instant

    async def open_conversation(sio, handoff: bool):
        async with opening:
            text = {"text": "公积金提取", "matter": MATTER} if handoff else {"text": "你好"}
            ack = await sio.call("message", {"client_msg_id": uuid.uuid4().hex, **text}, namespace="/user",
                                 timeout=60)
            if handoff:
                await sio.call("handoff", {"conversation_id": ack["conversation_id"]}, namespace="/user",
                               timeout=60)
            return sio, ack["conversation_id"]

    active = _opened(await asyncio.gather(*(open_conversation(s, True) for s in clients[:n_active]),
                                          return_exceptions=True))
    out.put(("handoffs", idx, len(active)))
    await _warm_up(active, warm)
    await asyncio.get_running_loop().run_in_executor(None, ctl["go_bot_convs"].wait)
    # bot users open their conversation now, so that every later turn is awaited
    bot_convs = _opened(await asyncio.gather(*(open_conversation(s, False)
                                               for s in clients[n_active:n_active + n_bot]), return_exceptions=True))
    # their first bot turns run on after the acks: the load phase must not start in their tail
    awaited.update(c for _, c in bot_convs)
    if awaited and not awaited <= answered:
        try:
            await asyncio.wait_for(all_answered.wait(), 30)
        except TimeoutError:
            print(f"  {len(awaited - answered)} bot conversations without a first reply", file=sys.stderr)
    out.put(("conversations", idx, len(active)))
    settle_client_heap()
    gc_pauses = GcPauses()
    stalls: list[tuple[float, float]] = []
    watcher = asyncio.create_task(watch_loop(record_stalls(stalls), 0.01, 0.02))
    await asyncio.get_running_loop().run_in_executor(None, ctl["go_load"].wait)
    errors = {"n": 0}
    kinds: dict[str, int] = {}
    acks: list[float] = []

    def failed(kind: str) -> None:
        errors["n"] += 1
        kinds[kind] = kinds.get(kind, 0) + 1

    async def send(sio, cid):
        t_send = time.perf_counter()
        try:
            ack = await sio.call("message", {"conversation_id": cid, "client_msg_id": uuid.uuid4().hex,
                                             "text": f"请问进度@{time.time():.6f}"}, namespace="/user", timeout=10)
            acks.append((time.perf_counter() - t_send) * 1000)
            if not ack.get("ok"):
                failed(str((ack.get("error") or {}).get("code")))
        except Exception as exc:  # noqa: BLE001 - counted by kind: ack timeouts, lost sockets
            failed(type(exc).__name__)

    t0 = time.perf_counter()
    sent = 0
    tasks = set()
    while active and time.perf_counter() - t0 < seconds:
        sio, cid = random.choice(active)
        task = asyncio.create_task(send(sio, cid))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        sent += 1
        await asyncio.sleep(max(0.0, t0 + sent / rate - time.perf_counter()))
    await asyncio.sleep(3)
    watcher.cancel()
    out.put(("load", idx, sent, errors["n"], lat, acks, kinds, gc_pauses.pauses, stalls))
    # bot turns: closed loop, each bot user waits for the reply before sending again
    await asyncio.get_running_loop().run_in_executor(None, ctl["go_bot"].wait)
    bot_replies["n"] = 0
    t_end = time.perf_counter() + bot_seconds

    async def bot_loop(sio, cid: str) -> None:
        while time.perf_counter() < t_end:
            fut = asyncio.get_running_loop().create_future()
            waiting[cid] = fut
            await sio.call("message", {"conversation_id": cid, "client_msg_id": uuid.uuid4().hex,
                                       "text": "居住证怎么办理"}, namespace="/user", timeout=30)
            try:
                await asyncio.wait_for(fut, 10)
            except TimeoutError:
                waiting.pop(cid, None)

    t0 = time.perf_counter()
    await asyncio.gather(*(bot_loop(s, c) for s, c in bot_convs), return_exceptions=True)
    out.put(("bot", idx, bot_replies["n"], time.perf_counter() - t0))
    await asyncio.get_running_loop().run_in_executor(None, ctl["done"].wait)
    await asyncio.gather(*(sio.disconnect() for sio in clients), return_exceptions=True)
    await _close_sessions()


async def _warm_up(active: list, warm: dict[str, Any]) -> None:
    """Each conversation's first exchange (a question, the agent's first reply), before the load phase.

    At 400 msgs/s over 1,000 conversations a conversation gets a message every 2.5 s and lives for minutes:
    its first exchange (the first response recorded, the conversation read by the agent's bridge) is a
    small share of the messages. Started together with the load phase, all 1,000 first exchanges fell into
    its first seconds, a burst no steady load has; the load phase measures the steady state after them.
    """
    warm["awaited"].update(cid for _, cid in active)
    if not warm["awaited"]:
        return
    opening = asyncio.Semaphore(10)

    async def ask(sio, cid: str) -> None:
        async with opening:
            await sio.call("message", {"conversation_id": cid, "client_msg_id": uuid.uuid4().hex, "text": WARM_UP},
                           namespace="/user", timeout=60)

    await asyncio.gather(*(ask(s, c) for s, c in active), return_exceptions=True)
    if not warm["awaited"] <= warm["answered"]:
        try:
            await asyncio.wait_for(warm["all"].wait(), 30)
        except TimeoutError:
            print(f"  {len(warm['awaited'] - warm['answered'])} conversations without a first reply",
                  file=sys.stderr)


def _opened(results: list) -> list:
    """The conversations that opened; a failed opening (a dropped socket) is reported, not fatal."""
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        print(f"  {len(failed)} conversations failed to open: {failed[0]!r}", file=sys.stderr)
    return [r for r in results if not isinstance(r, BaseException)]


async def _quiet(coro) -> None:
    try:
        await coro
    except Exception:  # noqa: BLE001 - a lost reply shows in the latency counts
        pass


def agent_worker(urls: list[str], tokens: list[str], ctl: Any, out: Any) -> None:
    _quiet_client_logs()
    asyncio.run(_agent_worker(urls, tokens, ctl, out))


async def _agent_worker(urls, tokens, ctl, out) -> None:
    lat: list[float] = []
    sent_times: list[float] = []
    stored_times: list[float] = []  # the bridge's `ts` of each message: splits a latency into in and out
    agents = []

    def handler(sio_ref: list):
        async def on_message(data: dict) -> None:
            if data["sender"]["role"] != "user":
                return
            if data["text"] == WARM_UP:
                asyncio.create_task(_quiet(sio_ref[0].call("message", {
                    "conversation_id": data["conversation_id"], "client_msg_id": uuid.uuid4().hex,
                    "text": WARM_REPLY}, namespace="/agent", timeout=30)))
                return
            if "@" not in data["text"]:
                return
            sent_at = float(data["text"].rsplit("@", 1)[1])
            lat.append((time.time() - sent_at) * 1000)
            sent_times.append(sent_at)
            stored_times.append(epoch(data["ts"]))
            asyncio.create_task(_quiet(sio_ref[0].call("message", {
                "conversation_id": data["conversation_id"], "client_msg_id": uuid.uuid4().hex,
                "text": f"您好，已收到@{time.time():.6f}"}, namespace="/agent", timeout=10)))
        return on_message

    for i, token in enumerate(tokens):
        ref: list = []
        sio = await _connect(urls[i % len(urls)], "/agent", token, {"message": handler(ref)})
        ref.append(sio)
        await sio.call("presence", {"status": "online"}, namespace="/agent")
        agents.append(sio)
    out.put(("agents", 0, len(agents)))
    await asyncio.get_running_loop().run_in_executor(None, ctl["settle"].wait)
    settle_client_heap()
    gc_pauses = GcPauses()
    stalls: list[tuple[float, float]] = []
    watcher = asyncio.create_task(watch_loop(record_stalls(stalls), 0.01, 0.02))
    await asyncio.get_running_loop().run_in_executor(None, ctl["load_done"].wait)
    watcher.cancel()
    out.put(("agent_lat", 0, lat, sent_times, stored_times, gc_pauses.pauses, stalls))
    await asyncio.get_running_loop().run_in_executor(None, ctl["done"].wait)
    for sio in agents:
        await sio.disconnect()
    await _close_sessions()


# --- driver ------------------------------------------------------------------------------------
def expect(out: Any, kind: str, n: int, timeout: float = 600) -> list[tuple]:
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n:
        msg = out.get(timeout=max(1.0, deadline - time.monotonic()))
        if msg[0] == kind:
            got.append(msg)
        else:
            raise RuntimeError(f"expected {kind}, got {msg[0]}")
    return got


def run(bridges: int, users: int, agents: int, rate: float, seconds: float, bot_users: int, bot_seconds: float,
        workers: int) -> dict[str, Any]:
    system = start_system(bridges=bridges, with_rasa=False, FIRST_RESPONSE_ALERT_S="3600", AGENT_CAPACITY="5")
    stub = mp.get_context("spawn").Process(target=rasa_stub, args=(system.cfg.rasa_port,), daemon=True)
    stub.start()
    ctx = mp.get_context("spawn")
    procs: list[mp.Process] = []
    try:
        urls = [f"http://127.0.0.1:{p}" for p in system.cfg.bridge_ports]
        pids = [system.procs[f"bridge-{i}"].popen.pid for i in range(bridges)]
        secret = (system.cfg.var_dir / "token_secret").read_text().strip()
        store = store_of(system)
        loop = asyncio.new_event_loop()
        names = [loop.run_until_complete(make_staff(store, [DEP], capacity=5)) for _ in range(agents)]
        from bench.common import staff_token
        staff = [loop.run_until_complete(staff_token(urls[0], n)) for n in names]
        time.sleep(2)
        rss0 = [rss_kib(p) for p in pids]
        manager = ctx.Manager()
        ctl = {k: manager.Event()
               for k in ("go_conversations", "go_bot_convs", "settle", "go_load", "load_done", "go_bot", "done")}
        out = ctx.Queue()
        n_active = agents * 5
        procs.append(ctx.Process(target=agent_worker, args=(urls, staff, ctl, out)))
        procs[-1].start()
        expect(out, "agents", 1)
        t_conn = time.perf_counter()
        procs += [ctx.Process(target=user_worker, args=(
            w, urls, [user_token(secret, f"load-{w}-{i}") for i in range(users // workers)], n_active // workers,
            bot_users // workers, rate / 2 / workers, seconds, bot_seconds, ctl, out)) for w in range(workers)]
        for proc in procs[1:]:
            proc.start()
        conn = expect(out, "connected", workers)
        connect_s = time.perf_counter() - t_conn
        held = sum(c[2] for c in conn)
        time.sleep(3)
        rss1 = [rss_kib(p) for p in pids]
        db_pid = system.procs["database"].popen.pid
        ctl["go_conversations"].set()
        phase("conversations", pids + [db_pid])
        t_conv = time.perf_counter()
        counters_h = bridge_counters(urls)
        db_h = _cpu(db_pid)
        expect(out, "handoffs", workers)
        conversations_s = time.perf_counter() - t_conv
        db_ms_per_handoff = (_cpu(db_pid) - db_h) * 1000 / max(1, n_active)
        db_per_handoff = (bridge_counters(urls)["db_commands"] - counters_h["db_commands"]) / max(1, n_active)
        ctl["go_bot_convs"].set()
        expect(out, "conversations", workers)
        ctl["settle"].set()
        settle_s, idle_cores = settle(urls, pids + [db_pid])
        with_agent = loop.run_until_complete(store.conversations.count_documents({"state": "with_agent"}))
        redis_pid = system.procs["redis"].popen.pid if "redis" in system.procs else None
        cpu0 = CpuClock.read(pids, db_pid, redis_pid, procs)
        commands0 = db_command_counts(urls)
        counters0 = bridge_counters(urls)
        stages = StageSampler(urls).start()
        ctl["go_load"].set()
        phase("load", pids + [db_pid])
        loads = expect(out, "load", workers, timeout=seconds + 120)
        cpu1 = CpuClock.read(pids, db_pid, redis_pid, procs)
        commands = per_message(commands0, db_command_counts(urls), 2 * sum(r[2] for r in loads))
        counters = counter_figures(counters0, bridge_counters(urls))
        ctl["load_done"].set()
        stages.stop()
        _, _, agent_lat, sent_times, stored_times, agent_gc, agent_stalls = expect(out, "agent_lat", 1)[0]
        user_lat = [x for r in loads for x in r[4]]
        ctl["go_bot"].set()
        phase("bot turns", pids + [db_pid])
        bots = expect(out, "bot", workers, timeout=bot_seconds + 120)
        ctl["done"].set()
        load1 = os.getloadavg()[0]
        result = {
            "bridges": bridges, "users_asked": users, "connections_held": held + agents,
            "user_connections": held, "connect_s": round(connect_s, 1),
            "failed_connections": sum(c[3] for c in conn), "conversations_with_agent": with_agent,
            "handoffs_per_s": round(n_active / conversations_s, 1),
            "settle_s": settle_s,  # waited after the conversations phase until the system was quiet
            # cores used while settling (bridges..., database): 10,000 idle sockets' pings and the timers
            "idle_cores_before_load": idle_cores,
            # first message (bot turn, instant stand-in) + handoff + assignment, per conversation
            "db_commands_per_handoff": round(db_per_handoff, 1),
            "database_cpu_ms_per_handoff": round(db_ms_per_handoff, 1),
            "rss_mib_before": [round(r / 1024) for r in rss0], "rss_mib_after": [round(r / 1024) for r in rss1],
            "kib_per_connection": round(sum(rss1[i] - rss0[i] for i in range(bridges)) / max(1, held), 1),
            **latency_figures(loads, agent_lat, user_lat, sent_times, stored_times, seconds, stages),
            **pause_figures(system, bridges, loads, agent_gc, agent_stalls, min(sent_times, default=0.0), seconds),
            **cpu_figures(cpu0, cpu1, len(agent_lat) + len(user_lat)),
            "db_commands_per_message": commands,
            **counters,
            "bot_turns_per_s": round(sum(b[2] for b in bots) / max(b[3] for b in bots), 1),
            "machine_load_1min": round(load1, 1),
            "cpu_probe_s": cpu_probe_s(),  # bench/common.py: the machine's speed this hour
        }
        loop.run_until_complete(store.close())
        return result
    finally:
        join_or_kill(procs)
        stub.kill()
        system.stop()


@dataclass
class CpuClock:
    """CPU seconds used so far by the bridges, the database, Redis and the load clients, and when read."""

    bridges: list[float]
    database: float
    redis: float
    clients: float
    at: float

    @classmethod
    def read(cls, pids: list[int], db_pid: int, redis_pid: int | None, procs: list[Any]) -> CpuClock:
        return cls([_cpu(p) for p in pids], _cpu(db_pid), _cpu(redis_pid) if redis_pid else 0.0,
                   sum(_cpu(p.pid) for p in procs), time.perf_counter())


def cpu_figures(before: CpuClock, after: CpuClock, delivered: int) -> dict[str, Any]:
    """Cores used during the load phase, and CPU per message delivered (which does not depend on the machine's
    other work)."""
    elapsed = max(1e-9, after.at - before.at)
    bridges = [a - b for a, b in zip(after.bridges, before.bridges, strict=True)]
    db, redis, clients = after.database - before.database, after.redis - before.redis, after.clients - before.clients
    per = 1000 / max(1, delivered)
    return {"bridge_cpu_during_load": [round(x / elapsed, 2) for x in bridges],
            "database_cpu_during_load": round(db / elapsed, 2),
            "client_processes_cpu_during_load": round(clients / elapsed, 2),
            "database_cpu_ms_per_message": round(db * per, 2),
            "bridge_cpu_ms_per_message": round(sum(bridges) * per, 2),
            "redis_cpu_ms_per_message": round(redis * per, 3),
            "client_cpu_ms_per_message": round(clients * per, 2)}


def pause_figures(system: Any, bridges: int, loads: list, agent_gc: list, agent_stalls: list, t0: float,
                  seconds: float) -> dict[str, Any]:
    """What stopped a process in the load phase: the clients' own collector pauses and event-loop stalls of
    20 ms or more (they would count as the system's latency), and what the bridges and the database logged."""
    return {"client_gc_pauses": client_gc([x for r in loads for x in r[7]] + agent_gc, t0),
            "server_stalls": server_stalls(system, bridges, t0, seconds + 3),
            "client_loop_stalls": {"agents": stalls_in_phase(agent_stalls, t0),
                                   "users": stalls_in_phase([x for r in loads for x in r[8]], t0)}}


def latency_figures(loads: list, agent_lat: list[float], user_lat: list[float], sent_times: list[float],
                    stored_times: list[float], seconds: float, stages: StageSampler) -> dict[str, Any]:
    """Rates over the sending window (the run then waits 3 s for the last deliveries) and latencies: overall,
    per 5-s and 1-s window, split at the bridge's `ts`, and the bridges' own stage timings."""
    to_stored = [(s - t) * 1000 for s, t in zip(stored_times, sent_times, strict=True)]
    return {
        "user_msgs_sent_per_s": round(sum(r[2] for r in loads) / seconds, 1),
        "send_errors": sum(r[3] for r in loads),
        "send_errors_by_kind": {k: sum(r[6].get(k, 0) for r in loads) for k in {k for r in loads for k in r[6]}},
        "user_ack_ms": {p: round(pct([x for r in loads for x in r[5]], p), 1) for p in (50, 95, 99)},
        "delivered_per_s": round((len(agent_lat) + len(user_lat)) / seconds, 1),
        "delivered_of_sent": f"{len(agent_lat) + len(user_lat)} of {2 * sum(r[2] for r in loads)}",
        "user_to_agent_ms": {p: round(pct(agent_lat, p), 1) for p in (50, 95, 99)},
        "user_to_agent_p99_ms_per_5s": windows(sent_times, agent_lat, 5.0),
        # per second: p99 of sent→stored (client, socket, bridge until its `ts`) and stored→received
        "user_to_agent_p99_ms_per_1s": windows(sent_times, agent_lat, 1.0),
        "user_to_stored_p99_ms_per_1s": windows(sent_times, to_stored, 1.0),
        "stored_to_agent_p99_ms_per_1s": windows(sent_times, [x - d for x, d in zip(agent_lat, to_stored,
                                                                                     strict=True)], 1.0),
        # the bridges' own timing of each stage (bench/stage_sampler.py), p99 per second: arrival in the store
        # to the insert's acknowledgement, and one process's publish to another's receipt (Redis)
        **{f"{stage}_p99_ms_per_1s": v for stage, v in
           stages.per_second_p99(min(sent_times, default=0.0), seconds).items()},
        "agent_to_user_ms": {p: round(pct(user_lat, p), 1) for p in (50, 95, 99)},
    }


def join_or_kill(procs: list[Any]) -> None:
    """Wait for the client processes to end (30 s each), killing those that do not."""
    for p in procs:
        p.join(30)
        if p.is_alive():
            p.kill()


def client_gc(pauses: list[tuple[float, int, float]], t0: float) -> dict[str, Any]:
    """The client processes' collector pauses of the load phase: how many, the longest, the full ones."""
    pauses = [p for p in pauses if p[0] >= t0]
    full = [p for p in pauses if p[1] == 2]
    return {"n": len(pauses), "max_ms": round(max((p[2] for p in pauses), default=0.0), 1),
            "full": [(round(t - t0, 1), round(ms)) for t, _, ms in full]}


STALL_EVENTS = {"event loop stalled": "stall", "periodic round slow": None, "gc pause": "gc pause"}


def server_stalls(system: Any, bridges: int, t0: float, seconds: float) -> list[list]:
    """The bridges' logged event-loop stalls and slow periodic rounds, and the database's collector pauses, in
    the load phase: [process, second of the phase, what, ms] (bridge/infra/runtime.py, core/tasks.py,
    ops/embedded_db.py)."""
    found = []
    for name in [*(f"bridge-{i}" for i in range(bridges)), "database"]:
        path = system.logs / f"{name}.log"
        for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
            if not any(e in line for e in STALL_EVENTS):
                continue
            try:
                ev = json.loads(line)
                t = epoch(ev["timestamp"])
            except (ValueError, KeyError):
                continue
            if ev.get("event") in STALL_EVENTS and t0 <= t <= t0 + seconds:
                what = STALL_EVENTS[ev["event"]] or ev.get("task", "?")
                found.append([name, round(t - t0, 1), what, ev.get("stall_ms", ev.get("took_ms"))])
    return sorted(found, key=lambda f: f[1])


def stalls_in_phase(stalls: list[tuple[float, float]], t0: float, most: int = 12) -> list[tuple[float, int]]:
    """The longest `most` stalls from `t0` on, as (second of the load phase, milliseconds), in time order."""
    longest = sorted((s for s in stalls if s[0] >= t0), key=lambda s: -s[1])[:most]
    return [(round(t - t0, 1), round(ms)) for t, ms in sorted(longest)]


def windows(sent_at: list[float], lat: list[float], width: float) -> list[float]:
    """p99 latency of the messages sent in each `width`-second window of the load phase."""
    if not sent_at:
        return []
    t0 = min(sent_at)
    buckets: dict[int, list[float]] = {}
    for t, v in zip(sent_at, lat, strict=True):
        buckets.setdefault(int((t - t0) // width), []).append(v)
    return [round(pct(buckets[k], 99)) for k in sorted(buckets)]


METRICS = {"seq_retries": "bangban_seq_retries_total",
           "batch_docs": "bangban_insert_batch_documents_sum",
           "batches": "bangban_insert_batch_documents_count",
           "gc2_s": 'bangban_gc_pause_seconds_sum{generation="2"}',
           "gc2_n": 'bangban_gc_pause_seconds_count{generation="2"}',
           "gc1_s": 'bangban_gc_pause_seconds_sum{generation="1"}',
           "gc1_n": 'bangban_gc_pause_seconds_count{generation="1"}',
           "gc0_s": 'bangban_gc_pause_seconds_sum{generation="0"}',
           "db_commands": 'bangban_db_commands_total{command="all"}',
           "messages": "bangban_messages_total",
           "relayed_decoded": 'bangban_relayed_publishes_total{outcome="decoded"}',
           "relayed_own": 'bangban_relayed_publishes_total{outcome="own"}',
           "relayed_not_here": 'bangban_relayed_publishes_total{outcome="not_here"}'}


def bridge_counters(urls: list[str]) -> dict[str, float]:
    """Counters of the bridges' /metrics, summed over the bridges."""
    import urllib.request
    tot = dict.fromkeys(METRICS, 0.0)
    for url in urls:
        for line in urllib.request.urlopen(url + "/metrics", timeout=10).read().decode().splitlines():
            for key, name in METRICS.items():
                if line.startswith((name + " ", name + "{")):  # a counter, or one of its labelled series
                    tot[key] += float(line.split()[1])
    return tot


def db_command_counts(urls: list[str]) -> dict[str, float]:
    """Database commands sent by the bridges so far, per `command:collection`, summed over the bridges."""
    import urllib.request
    prefix = 'bangban_db_commands_total{command="'
    tot: dict[str, float] = {}
    for url in urls:
        for line in urllib.request.urlopen(url + "/metrics", timeout=10).read().decode().splitlines():
            if line.startswith(prefix):
                name, value = line[len(prefix):].split('"}', 1)
                tot[name] = tot.get(name, 0.0) + float(value)
    return tot


def per_message(before: dict[str, float], after: dict[str, float], messages: int) -> dict[str, float]:
    """Database commands per message sent in the load phase, the biggest first (those above 0.01)."""
    d = {k: (v - before.get(k, 0.0)) / max(1, messages) for k, v in after.items()}
    return {k: round(v, 3) for k, v in sorted(d.items(), key=lambda kv: -kv[1]) if v >= 0.01}


def counter_figures(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    d = {k: after[k] - before[k] for k in METRICS}
    return {"seq_retries": int(d["seq_retries"]),
            "docs_per_insert_command": round(d["batch_docs"] / max(1.0, d["batches"]), 2),
            "full_gc_pauses": int(d["gc2_n"]), "full_gc_seconds": round(d["gc2_s"], 2),
            # young collections stall the process too: a generation-1 one walks everything promoted since
            "gen1_gc_pauses": int(d["gc1_n"]), "gen1_gc_seconds": round(d["gc1_s"], 2),
            "gen0_gc_seconds": round(d["gc0_s"], 2),
            # Socket.IO publishes the bridges received from Redis: decoded, or dropped before decoding
            "relayed_publishes": {"decoded": int(d["relayed_decoded"]), "own": int(d["relayed_own"]),
                                  "not_here": int(d["relayed_not_here"])}}


def settle(urls: list[str], pids: list[int], least_s: float = 3.0, most_s: float = 30.0) -> tuple[float, list[float]]:
    """Wait (at least `least_s`, at most `most_s`) until the bridges stored no message for a second: the tail
    of the conversations phase (assignments' notices, bot turns) must not overlap the load phase. The seconds
    waited, and the cores each of `pids` used meanwhile: with no message flowing that is the cost of the idle
    sockets (engine.io pings) and the background timers, which the load phase's CPU per message includes."""
    t0 = time.perf_counter()
    cpu0 = [_cpu(p) for p in pids]
    time.sleep(least_s)
    stored = [bridge_counters(urls)["messages"]]
    while time.perf_counter() - t0 < most_s:
        time.sleep(1.0)
        stored.append(bridge_counters(urls)["messages"])
        if stored[-1] == stored[-2]:
            break
    waited = time.perf_counter() - t0
    cores = [round((_cpu(p) - c) / waited, 3) for p, c in zip(pids, cpu0, strict=True)]
    print(f"  [bench] settled in {waited:.1f} s (messages stored meanwhile: {int(stored[-1] - stored[0])}); "
          f"cores used: {cores}", file=sys.stderr, flush=True)
    return round(waited, 1), cores


def phase(name: str, pids: list[int]) -> None:
    """Say on stderr which phase starts (and which processes to profile during it)."""
    print(f"  [bench] {name} phase starts; bridge and database pids: {pids}", file=sys.stderr, flush=True)


def _cpu(pid: int) -> float:
    """CPU seconds used by a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--bridges", default="1", help="bridge counts to measure in this run, e.g. 1,2 (a system each)")
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--agents", type=int, default=100, help="capacity 5 each: agents×5 users talk to agents")
    p.add_argument("--rate", type=float, default=200, help="messages per second, both directions together")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--bot-users", type=int, default=200)
    p.add_argument("--bot-seconds", type=float, default=15)
    p.add_argument("--workers", type=int, default=4, help="user processes")
    p.add_argument("--client", choices=("lite", "python-socketio"), default="lite",
                   help="client implementation of the simulated users and agents (same protocol)")
    a = p.parse_args()
    os.environ[CLIENT_ENV] = a.client
    results = [run(int(n), a.users, a.agents, a.rate, a.seconds, a.bot_users, a.bot_seconds, a.workers)
               for n in a.bridges.split(",")]
    print(json.dumps(results if len(results) > 1 else results[0], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

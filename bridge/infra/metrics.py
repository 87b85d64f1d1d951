"""Prometheus metrics of the bridge."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from pymongo import monitoring

MESSAGES = Counter("bangban_messages_total", "Messages stored", ["role"])
BOT_TURN = Histogram("bangban_bot_turn_seconds", "Rasa webhook time per bot turn",
                     buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5))
CONNECTIONS = Gauge("bangban_connections", "Open Socket.IO connections of this process", ["namespace"])
SEQ_RETRIES = Counter("bangban_seq_retries_total", "Message inserts retried after another took their seq")
INSERT_BATCH = Histogram("bangban_insert_batch_documents", "Documents per grouped insert command",
                         buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
RASA_TURNS = Counter("bangban_rasa_turns_total", "Bot turns answered, per Rasa server", ["server"])
REFUSED = Counter("bangban_refused_total", "Refused events", ["code"])
RELAYED = Counter("bangban_relayed_publishes_total",
                  "Socket.IO publishes received from Redis: `decoded`, or dropped undecoded (`own`, `not_here`)",
                  ["outcome"])
# A message's way through the bridges, stage by stage (bench/load.py samples them every second)
STAGE_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2, 5)
MESSAGE_STORE = Histogram("bangban_message_store_seconds",
                          "From a message's arrival in the store (its ts) to the database's acknowledgement of its "
                          "insert: the conversation's lock, the seq, the grouped insert", buckets=STAGE_BUCKETS)
RELAY = Histogram("bangban_relay_seconds",
                  "From a process's publish of an emit to its receipt by another process that has a socket for it "
                  "(the publisher's queue, Redis, this process's listener)", buckets=STAGE_BUCKETS)


GC_PAUSE = Histogram("bangban_gc_pause_seconds", "Pauses of Python's garbage collector", ["generation"],
                     buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2))
LOOP_STALL = Histogram("bangban_event_loop_stall_seconds",
                       "Stalls of the event loop (a timer run this much late), from 50 ms on",
                       buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5))


DB_COMMANDS = Counter("bangban_db_commands_total",
                      "Database commands sent by this process, by `command:collection`", ["command"])
DB_COMMAND_TOTAL = DB_COMMANDS.labels("all")


class DbCommandCounter(monitoring.CommandListener):
    """Counts the database commands (pymongo command monitoring): the cost of a code path in round trips."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("hello", "ismaster", "isMaster", "ping", "endSessions"):
            return
        DB_COMMAND_TOTAL.inc()
        coll = event.command.get(event.command_name)
        DB_COMMANDS.labels(f"{event.command_name}:{coll if isinstance(coll, str) else ''}").inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def render_metrics() -> web.Response:
    resp = web.Response(body=generate_latest())
    resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return resp

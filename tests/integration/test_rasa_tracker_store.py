"""bot/rasa_tracker_store.py, rasa_action_calls.py and rasa_graph_runner.py against Rasa's own code, in Rasa's Python.

The same turns through the stock MongoTrackerStore and the appending one (on the embedded database)
must leave the same documents, with one `find` and one `update` per turn where the stock store needs
two or three `find`s and, for a new conversation, two updates. The action-call check must accept
and refuse exactly what Rasa's `jsonschema.validate` does, and calls must reuse connections. The graph
runner must give the parses and predictions dask's does.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

from core.settings import ROOT
from ops.model import rasa_env
from ops.procs import Proc, free_port, port_open, wait_until

RUNNER = Path(__file__).with_name("rasa_tracker_store_run.py")
ACTION_CALLS = Path(__file__).with_name("rasa_action_calls_run.py")
GRAPH_RUNNER = Path(__file__).with_name("rasa_graph_runner_run.py")
TURNS, NEW_CONVERSATIONS = 9, 3  # as rasa_tracker_store_run.converse drives them


def _undated(doc: dict) -> dict:
    """A document without the times of events the run did not date itself (c-3's initial action_listen)."""
    if doc["sender_id"] != "c-3":
        return doc
    return {**doc, "latest_event_time": None, "events": [{**e, "timestamp": None} for e in doc["events"]]}


def test_appending_store_writes_what_the_stock_store_writes_with_fewer_commands(tmp_path):
    port = free_port()
    db = Proc("database", [str(ROOT / ".venv/bin/secantusd-py"), "--host", "127.0.0.1", "--port", str(port),
                           "--storage-path", str(tmp_path / "db")], log_path=tmp_path / "db.log").start()
    try:
        wait_until(lambda: port_open(port), 30, "database", db)
        proc = subprocess.run([str(ROOT / ".venv-rasa/bin/python"), str(RUNNER),
                               f"mongodb://127.0.0.1:{port}/?retryWrites=false&journal=true"],
                              cwd=ROOT, env={**os.environ, **rasa_env()}, capture_output=True, text=True, timeout=300)
    finally:
        db.stop()
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    stock, appending = out["stock"], out["appending"]
    assert len(stock["documents"]) == 3
    assert [_undated(d) for d in appending["documents"]] == [_undated(d) for d in stock["documents"]]
    # one find per turn and per tracker query; one more to save the tracker replaced and the query's new tracker
    assert appending["commands"]["find"] == TURNS + 1 + 2 < stock["commands"]["find"]
    assert appending["commands"]["update"] == TURNS + 2 < stock["commands"]["update"]


def test_rasa_uses_the_appending_store():
    for name in ("endpoints.yml", "endpoints-cluster.yml"):
        endpoints = yaml.safe_load((ROOT / name).read_text())
        assert endpoints["tracker_store"]["type"] == "bot.rasa_tracker_store.AppendingMongoTrackerStore", name


def test_action_calls_check_as_rasa_does_and_keep_connections():
    proc = subprocess.run([str(ROOT / ".venv-rasa/bin/python"), str(ACTION_CALLS)], cwd=ROOT,
                          env={**os.environ, **rasa_env()}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert all(stock == installed for stock, installed in out["verdicts"]), out["verdicts"]
    assert [stock for stock, _ in out["verdicts"]].count(True) == 5  # the valid ones are checked too
    assert out["connections"] == 2  # six calls through two endpoint configurations (stock: six connections)


def test_graph_runner_answers_as_dask_does():
    """bot/rasa_graph_runner.py: the same parses and next-action predictions as Rasa's dask runner."""
    from ops.model import ensure_model

    examples = [line.strip()[2:] for path in sorted((ROOT / "data/nlu").glob("*.yml"))
                for line in path.read_text().splitlines() if line.strip().startswith("- ") and ":" not in line]
    texts = examples[::max(1, len(examples) // 150)]
    proc = subprocess.run([str(ROOT / ".venv-rasa/bin/python"), str(GRAPH_RUNNER), str(ensure_model())], cwd=ROOT,
                          input="\n".join(texts), env={**os.environ, **rasa_env()}, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["texts"] == len(texts) >= 100
    assert out["same"] == out["texts"]
    assert out["event_types"] > 20 and out["resolved_alike"] is True

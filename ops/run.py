"""`./bangban run`: start the whole system with the embedded defaults and keep it running.

Stops every process it started on Ctrl-C or SIGTERM; refuses a second start
while one runs (a lock in var/), instead of clashing on ports.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import sys
import time

from core.settings import SettingsError, load_settings
from ops.demo import DEMO_PASSWORD, DEMO_STAFF
from ops.procs import port_open
from ops.system import System, SystemConfig


def say(msg: str) -> None:
    print(f"[bangban {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bangban run")
    p.add_argument("--bridges", type=int, default=int(os.environ.get("BANGBAN_BRIDGES", "1")),
                   help="number of bridge processes (more than one uses Redis)")
    p.add_argument("--config", default=os.environ.get("BANGBAN_RASA_CONFIG", "config.yml"),
                   help="Rasa pipeline: config.yml (fast) or config-diet.yml (quality)")
    args = p.parse_args(argv)
    try:
        settings = load_settings()
        settings.check()
    except SettingsError as exc:
        hint = ("" if os.environ.get("BANGBAN_ENV") == "production" or not os.environ.get("MONGO_URL") else
                " (a development run against this database: BANGBAN_DEMO=1)")
        say(f"refusing to start: {exc}{hint}")
        return 1
    var = settings.var_dir
    var.mkdir(parents=True, exist_ok=True)
    lock = open(var / "run.lock", "a+")  # noqa: SIM115 - held for the life of the process
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        say(f"Bangban is already running (pid {lock.read().strip() or '?'}); stop it first (Ctrl-C there).")
        return 1
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    port = settings.port
    cfg = SystemConfig(var_dir=var, bridge_ports=[port + i for i in range(args.bridges)],
                       mongo_url="" if settings.embedded_db else settings.mongo_url, redis_url=settings.redis_url,
                       rasa_config=args.config, demo_staff=True,
                       # a configured 12345 intake replaces the stand-in (required outside local development)
                       extra_env={"HOTLINE_URL": os.environ["HOTLINE_URL"]} if os.environ.get("HOTLINE_URL") else {})
    busy = [x for x in [*cfg.bridge_ports, cfg.rasa_port, cfg.actions_port, cfg.hotline_port, cfg.notify_port]
            + ([] if cfg.mongo_url else [cfg.db_port]) if port_open(x)]
    if busy:
        say(f"ports already in use: {busy}; is another Bangban or another service running?")
        return 1
    system = System(cfg, log=say)
    stopping = {"flag": False}

    def on_signal(signum, frame) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        system.start()
    except Exception as exc:  # noqa: BLE001
        say(f"start failed: {exc}")
        system.stop()
        return 1
    base = system.base_url
    say("Bangban is running:")
    for label, path in (("user chat page (H5)", "/h5"), ("agent pane", "/agent"), ("trainer console", "/trainer"),
                        ("supervisor dashboard", "/dashboard"), ("health", "/healthz"),
                        ("API document", "/api/v1/openapi.json")):
        print(f"    {label:<22} {base}{path}")
    print(f"    {'12345 stand-in':<22} {system.hotline_url}/workorders")
    if settings.local_development:
        print(f"    {'notification stand-ins':<22} {system.notify_url}/admin/received?provider=wechat")
    if settings.local_development:
        print(f"  demo accounts (password {DEMO_PASSWORD}):")
        for username, name, deps, role in DEMO_STAFF:
            print(f"    {username:<14} {role:<11} {name:<6} {','.join(deps) or '-'}")
    else:
        print(f"  {system.demo_output.strip()}")
    print("  logs in var/logs/; press Ctrl-C to stop.", flush=True)
    try:
        while not stopping["flag"]:
            dead = system.check_children()
            if dead:
                say(f"process exited: {', '.join(dead)}; see var/logs/. Stopping.")
                break
            time.sleep(0.5)
    finally:
        say("stopping ...")
        system.stop()
        say("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

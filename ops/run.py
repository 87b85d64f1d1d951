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
from pathlib import Path
from typing import TextIO

from core.settings import SettingsError, load_settings
from ops.demo import DEMO_PASSWORD, DEMO_STAFF
from ops.procs import port_open
from ops.supervisor import CrashLoop, Supervisor
from ops.system import System, SystemConfig


def say(msg: str) -> None:
    print(f"[bangban {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bangban run")
    p.add_argument("--bridges", type=int, default=int(os.environ.get("BANGBAN_BRIDGES", "1")),
                   help="number of bridge processes (more than one uses Redis)")
    p.add_argument("--config", default=os.environ.get("BANGBAN_RASA_CONFIG", "config.yml"),
                   help="Rasa pipeline: config.yml (fast) or config-diet.yml (quality)")
    p.add_argument("--rasa", type=int, default=int(os.environ.get("BANGBAN_RASA_SERVERS", "1")),
                   help="number of Rasa servers (more than one share a Redis lock store)")
    p.add_argument("--actions", type=int, default=int(os.environ.get("BANGBAN_ACTION_SERVERS", "1")),
                   help="number of action servers (Rasa server i calls action server i mod M)")
    p.add_argument("--free-ports", action="store_true",
                   help="free ports for every process instead of the fixed ones (a second copy, tests)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        settings.check()
    except SettingsError as exc:
        hint = ("" if os.environ.get("BANGBAN_ENV") == "production" or not os.environ.get("MONGO_URL") else
                " (a development run against this database: BANGBAN_DEMO=1)")
        say(f"refusing to start: {exc}{hint}")
        return 1
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    lock = _only_instance(settings.var_dir / "run.lock")
    if lock is None:
        return 1
    cfg = _config(settings, args)
    busy = _busy_ports(cfg)
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
    _print_addresses(system, settings.local_development)
    _supervise(system, settings.var_dir / "run.json", stopping)
    return 0


def _only_instance(path: Path) -> TextIO | None:
    """The run lock, held for the life of the process (written with our pid); None when another run holds it."""
    lock = open(path, "a+")  # noqa: SIM115 - held for the life of the process
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        say(f"Bangban is already running (pid {lock.read().strip() or '?'}); stop it first (Ctrl-C there).")
        return None
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    return lock


def _busy_ports(cfg: SystemConfig) -> list[int]:
    """The system's ports that something already listens on."""
    ports = [*cfg.bridge_ports, *cfg.rasa_ports, *cfg.actions_ports, cfg.hotline_port, cfg.cti_port,
             cfg.notify_port, cfg.haocha_port] + ([] if cfg.mongo_url else [cfg.db_port])
    return [x for x in ports if port_open(x)]


def _print_addresses(system: System, local_development: bool) -> None:
    """Where the pages, the stand-ins and (in development) the demo accounts are."""
    base = system.base_url
    say("Bangban is running:")
    for label, path in (("user chat page (H5)", "/h5"), ("agent pane", "/agent"), ("trainer console", "/trainer"),
                        ("supervisor dashboard", "/dashboard"), ("health", "/healthz"),
                        ("API document", "/api/v1/openapi.json")):
        print(f"    {label:<22} {base}{path}")
    print(f"    {'12345 stand-in':<22} {system.hotline_url}/workorders")
    print(f"    {'call-centre stand-in':<22} {system.cti_url}/  (place a fake call)")
    print(f"    {'好差评 stand-in':<22} {system.haocha_url}/ratings")
    if local_development:
        print(f"    {'notification stand-ins':<22} {system.notify_url}/admin/received?provider=wechat")
        print(f"  demo accounts (password {DEMO_PASSWORD}):")
        for username, name, deps, role in DEMO_STAFF:
            print(f"    {username:<14} {role:<11} {name:<6} {','.join(deps) or '-'}")
    else:
        print(f"  {system.demo_output.strip()}")
    print("  logs in var/logs/; press Ctrl-C to stop.", flush=True)


def _supervise(system: System, state_file: Path, stopping: dict[str, bool]) -> None:
    """Restart crashed processes until a signal or a crash loop, then stop the system."""
    supervisor = Supervisor(system.procs, log=say, state_file=state_file)
    try:
        while not stopping["flag"]:
            try:
                supervisor.tick()
            except CrashLoop as exc:
                say(f"{exc}. Stopping.")
                break
            time.sleep(0.25)
    finally:
        say("stopping ...")
        system.stop()
        say("stopped.")


def _config(settings, args: argparse.Namespace) -> SystemConfig:
    """The launcher's system: fixed ports from the settings, or free ones with `--free-ports`."""
    common = {"mongo_url": "" if settings.embedded_db else settings.mongo_url, "redis_url": settings.redis_url,
              "rasa_config": args.config, "demo_staff": True,
              # a configured 12345 intake replaces the stand-in (required outside local development)
              "extra_env": {k: os.environ[k] for k in ("HOTLINE_URL", "HAOCHA_URL") if os.environ.get(k)}}
    if args.free_ports:
        return SystemConfig.with_free_ports(settings.var_dir, bridges=args.bridges, rasa=args.rasa,
                                            actions=args.actions, **common)
    port = settings.port
    return SystemConfig(var_dir=settings.var_dir, bridge_ports=[port + i for i in range(args.bridges)],
                        more_rasa_ports=[5005 + i for i in range(1, args.rasa)],
                        more_actions_ports=[5055 + i for i in range(1, args.actions)],
                        cti_port=settings.cti_standin_port, **common)


if __name__ == "__main__":
    sys.exit(main())

"""A whole Bangban system on this machine: database, Rasa, actions, hotline and notification stand-ins, bridges.

Used by the launcher (`./bangban run`, fixed ports) and by the integration tests
(free ports, a fresh data directory); both start exactly the same processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from core.settings import DEV, ROOT, generated_secret, is_local_development
from ops.model import ensure_model, rasa_bin, rasa_env
from ops.notify_standins import standin_env
from ops.procs import Group, Proc, free_port, wait_until

PY = str(ROOT / ".venv" / "bin" / "python")


def http_ok(url: str, timeout: float = 2.0) -> tuple[bool, dict | None]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read()
            try:
                return r.status == 200, json.loads(body or b"null")
            except ValueError:
                return r.status == 200, None
    except (urllib.error.URLError, OSError, ValueError):
        return False, None


@dataclass
class SystemConfig:
    var_dir: Path
    db_port: int = 27017
    rasa_port: int = 5005
    actions_port: int = 5055
    hotline_port: int = 8090
    cti_port: int = 8091         # the call-centre stand-in (ops/cti_standin.py)
    notify_port: int = 8092      # the notification providers' stand-ins (ops/notify_standins.py)
    haocha_port: int = 8093      # the 好差评 intake's stand-in (ops/haocha_standin.py)
    bridge_ports: list[int] = field(default_factory=lambda: [8080])
    redis_port: int = 6379
    more_rasa_ports: list[int] = field(default_factory=list)     # Rasa servers 2..N (shared tracker, Redis lock)
    more_actions_ports: list[int] = field(default_factory=list)  # action servers 2..M
    mongo_url: str = ""          # external MongoDB: no embedded server
    redis_url: str = ""          # external Redis
    rasa_config: str = "config.yml"
    with_rasa: bool = True
    demo_staff: bool = False     # create the demo accounts (skipped unless local development)
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def with_free_ports(cls, var_dir: Path, bridges: int = 1, rasa: int = 1, actions: int = 1,
                        **kw) -> SystemConfig:
        """Every process on a free port (a second system beside a running one)."""
        return cls(var_dir=var_dir, db_port=free_port(), rasa_port=free_port(), actions_port=free_port(),
                   hotline_port=free_port(), bridge_ports=[free_port() for _ in range(bridges)],
                   redis_port=free_port(), cti_port=free_port(), notify_port=free_port(), haocha_port=free_port(),
                   more_rasa_ports=[free_port() for _ in range(rasa - 1)],
                   more_actions_ports=[free_port() for _ in range(actions - 1)], **kw)

    @classmethod
    def for_tests(cls, var_dir: Path, bridges: int = 1, **kw) -> SystemConfig:
        # tests send thousands of requests from 127.0.0.1: no HTTP limit unless the test sets one
        kw["extra_env"] = {"HTTP_RATE_LIMIT_PER_MIN": "1000000", **(kw.get("extra_env") or {})}
        return cls.with_free_ports(var_dir, bridges, **kw)

    @property
    def rasa_ports(self) -> list[int]:
        return [self.rasa_port, *self.more_rasa_ports]

    @property
    def actions_ports(self) -> list[int]:
        return [self.actions_port, *self.more_actions_ports]


class System:
    def __init__(self, cfg: SystemConfig, log=print) -> None:
        self.cfg = cfg
        self.log = log
        self.group = Group()
        self.procs: dict[str, Proc] = {}
        self.logs = cfg.var_dir / "logs"
        self.model_path: Path | None = None
        self.demo_output = ""

    # --- addresses ---------------------------------------------------------
    @property
    def mongo_url(self) -> str:
        return self.cfg.mongo_url or f"mongodb://127.0.0.1:{self.cfg.db_port}/?retryWrites=false&journal=true"

    @property
    def redis_url(self) -> str:
        """The Redis the bridges share state through: an external one, else ours when there are several bridges.

        One bridge keeps its state in its own memory and the database even with several Rasa servers: those
        lock through our Redis (`runs_redis`), the bridge need not relay through it.
        """
        if self.cfg.redis_url:
            return self.cfg.redis_url
        return f"redis://127.0.0.1:{self.cfg.redis_port}/0" if len(self.cfg.bridge_ports) > 1 else ""

    @property
    def runs_redis(self) -> bool:
        """Whether this system starts a Redis of its own: for several bridges, or several Rasa servers' locks."""
        return not self.cfg.redis_url and (len(self.cfg.bridge_ports) > 1 or len(self.cfg.rasa_ports) > 1)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.cfg.bridge_ports[0]}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.cfg.rasa_port}"

    @property
    def hotline_url(self) -> str:
        return f"http://127.0.0.1:{self.cfg.hotline_port}"

    @property
    def cti_url(self) -> str:
        return f"http://127.0.0.1:{self.cfg.cti_port}"

    @property
    def haocha_url(self) -> str:
        return f"http://127.0.0.1:{self.cfg.haocha_port}"

    @property
    def notify_url(self) -> str:
        return f"http://127.0.0.1:{self.cfg.notify_port}"

    def secret(self, name: str) -> str:
        """`name` (HOTLINE_SECRET, RASA_TOKEN) as given, else generated in this system's var/ and shared by
        every process (the bridge's settings check decides whether a generated one is acceptable)."""
        given = self.cfg.extra_env.get(name) or os.environ.get(name)
        return given or generated_secret(self.cfg.var_dir, name.lower())

    def env(self) -> dict[str, str]:
        # the embedded server is named by its port, not by MONGO_URL: a MONGO_URL means an external database
        env = {
            "MONGO_URL": self.cfg.mongo_url, "BANGBAN_DB_PORT": str(self.cfg.db_port),
            "BANGBAN_VAR": str(self.cfg.var_dir),
            "RASA_URL": self.rasa_url, "ACTIONS_URL": f"http://127.0.0.1:{self.cfg.actions_port}",
            "RASA_URLS": ",".join(f"http://127.0.0.1:{p}" for p in self.cfg.rasa_ports),
            "HOTLINE_URL": f"{self.hotline_url}/workorders", "BANGBAN_PUBLIC_URL": self.base_url,
            "REDIS_URL": self.redis_url, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
            "HOTLINE_SECRET": self.secret("HOTLINE_SECRET"), "RASA_TOKEN": self.secret("RASA_TOKEN"),
            "CTI_SECRET": self.secret("CTI_SECRET"),
            "HAOCHA_URL": f"{self.haocha_url}/ratings", "HAOCHA_SECRET": self.secret("HAOCHA_SECRET"),
        }
        if self._local_development():  # the providers' stand-ins, unless the environment names the real services
            env.update({k: os.environ.get(k) or v for k, v in standin_env(self.notify_url, self.cfg.var_dir).items()})
        env.update(self.cfg.extra_env)
        return env

    def _local_development(self) -> bool:
        """Whether the bridges run as local development (then the notification stand-ins stand in)."""
        e = {**os.environ, **self.cfg.extra_env}
        demo = e.get("BANGBAN_DEMO", "").lower() in ("1", "true", "yes", "on")
        return is_local_development(e.get("BANGBAN_ENV") or DEV, e.get("BANGBAN_HOST") or "127.0.0.1",
                                    not self.cfg.mongo_url, demo)

    def _proc(self, name: str, argv: list[str], extra: dict[str, str] | None = None) -> Proc:
        proc = Proc(name, argv, env={**self.env(), **(extra or {})}, cwd=ROOT, log_path=self.logs / f"{name}.log")
        self.procs[name] = self.group.add(proc)
        return proc

    # --- start -------------------------------------------------------------
    def start(self) -> System:
        self.cfg.var_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        t0 = time.monotonic()
        try:
            self._start(t0)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, t0: float) -> None:
        if not self.cfg.mongo_url:
            db = self._proc("database", [PY, "-m", "ops.embedded_db", "--host", "127.0.0.1", "--port",
                                         str(self.cfg.db_port), "--storage-path", str(self.cfg.var_dir / "db")])
            wait_until(lambda: self._db_ready(), 30, "database", db)
            self.log(f"database ready on {self.mongo_url} ({time.monotonic() - t0:.1f} s)")
        self.run_cmd([PY, "-m", "bridge.admin", "seed"])
        self.run_cmd([PY, "-m", "kb.importer"])
        if self.cfg.demo_staff:
            self.demo_output = self.run_cmd([PY, "-m", "ops.demo"])
        if self.runs_redis:  # before Rasa: several Rasa servers lock through it
            redis = self._proc("redis", [shutil.which("redis-server") or "redis-server", "--port",
                                         str(self.cfg.redis_port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"])
            wait_until(lambda: _tcp(self.cfg.redis_port), 15, "redis", redis)
        if self.cfg.with_rasa:
            self.model_path = ensure_model(config=self.cfg.rasa_config, log=self.log)
            for i in range(len(self.cfg.actions_ports)):
                self.start_actions(i)
            for i in range(len(self.cfg.rasa_ports)):
                self.start_rasa(i)
        self._proc("hotline", [PY, "-m", "ops.hotline_receiver", "--port", str(self.cfg.hotline_port),
                               "--store", str(self.cfg.var_dir / "hotline.jsonl")])
        self._proc("haocha", [PY, "-m", "ops.haocha_standin", "--port", str(self.cfg.haocha_port),
                              "--store", str(self.cfg.var_dir / "haocha.jsonl")])
        self._proc("cti", [PY, "-m", "ops.cti_standin", "--port", str(self.cfg.cti_port), "--bridge",
                           self.base_url])
        if self._local_development():
            self._proc("notify", [PY, "-m", "ops.notify_standins", "--port", str(self.cfg.notify_port),
                                  "--var", str(self.cfg.var_dir)])
        for i in range(len(self.cfg.bridge_ports)):
            self.start_bridge(i)
        for i, port in enumerate(self.cfg.bridge_ports):
            wait_until(lambda p=port: self._bridge_up(p), 60, f"bridge {i}", self.procs[f"bridge-{i}"])
        self._stand_ins_up()
        if self.cfg.with_rasa:
            self.wait_bot(240)
        self.log(f"system ready in {time.monotonic() - t0:.0f} s")

    def _stand_ins_up(self) -> None:
        """Every stand-in listens, and is the one listening: one that could not bind its port has exited by now."""
        ports = {"hotline": self.cfg.hotline_port, "haocha": self.cfg.haocha_port, "cti": self.cfg.cti_port,
                 "notify": self.cfg.notify_port}
        for name, port in ports.items():
            if name in self.procs:
                proc = self.procs[name]
                wait_until(lambda p=port: _tcp(p), 30, name, proc)
                if not proc.alive:
                    raise RuntimeError(f"{name}: exited (port {port} taken?)\n{proc.tail()}")

    def run_cmd(self, argv: list[str]) -> str:
        proc = subprocess.run(argv, cwd=ROOT, env={**os.environ, **self.env()}, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[1:])} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def start_actions(self, i: int = 0) -> Proc:
        return self._proc(_nth("actions", i), [PY, "-m", "ops.actions_server", "--actions", "bot.actions", "--port",
                                               str(self.cfg.actions_ports[i])], {"SANIC_HOST": "127.0.0.1"})

    def start_rasa(self, i: int = 0) -> Proc:
        """Rasa server `i`, calling action server i mod M; several share a Redis lock store."""
        assert self.model_path is not None
        actions = self.cfg.actions_ports[i % len(self.cfg.actions_ports)]
        endpoints = "endpoints-cluster.yml" if len(self.cfg.rasa_ports) > 1 else "endpoints.yml"
        # the API only with the token (no --cors: browsers never call Rasa)
        return self._proc(_nth("rasa", i), [str(rasa_bin()), "run", "--enable-api", "-i", "127.0.0.1", "-p",
                                            str(self.cfg.rasa_ports[i]), "-m", str(self.model_path), "--endpoints",
                                            endpoints, f"--auth-token={self.secret('RASA_TOKEN')}"],
                          {**rasa_env(), "LOG_LEVEL": "INFO",
                           "BANGBAN_ACTIONS_WEBHOOK": f"http://127.0.0.1:{actions}/webhook",
                           "BANGBAN_TRACKER_MONGO_URL": self.mongo_url, "BANGBAN_TRACKER_DB": "rasa",
                           **self.lock_store_env()})

    def lock_store_env(self) -> dict[str, str]:
        """Where Rasa's Redis lock store is (endpoints-cluster.yml): the external Redis, else ours."""
        if not self.cfg.redis_url:
            return {"BANGBAN_LOCK_REDIS_HOST": "127.0.0.1", "BANGBAN_LOCK_REDIS_PORT": str(self.cfg.redis_port)}
        url = urlsplit(self.cfg.redis_url)
        return {"BANGBAN_LOCK_REDIS_HOST": url.hostname or "127.0.0.1",
                "BANGBAN_LOCK_REDIS_PORT": str(url.port or 6379)}

    def start_bridge(self, i: int) -> Proc:
        return self._proc(f"bridge-{i}", [PY, "-m", "bridge", "--port", str(self.cfg.bridge_ports[i])],
                          {"BANGBAN_PORT": str(self.cfg.bridge_ports[i])})

    def wait_bot(self, timeout: float) -> None:
        t0 = time.monotonic()
        for i, port in enumerate(self.cfg.actions_ports):
            wait_until(lambda p=port: http_ok(f"http://127.0.0.1:{p}/health")[0], 60, "action server",
                       self.procs.get(_nth("actions", i)))
        for i, port in enumerate(self.cfg.rasa_ports):
            wait_until(lambda p=port: self._rasa_ready(p), timeout, "rasa server", self.procs.get(_nth("rasa", i)),
                       interval=1.0)
        self._warm_up()
        wait_until(lambda: http_ok(f"{self.base_url}/healthz")[0], 30, "bridge health")
        self.log(f"bot ready ({time.monotonic() - t0:.0f} s after the bridge)")

    def _warm_up(self) -> None:
        """A full bot turn on every Rasa server (each with its own action server), at once, so that no first
        user pays for lazy loading (jieba, the KB index, actions, tracker)."""
        with ThreadPoolExecutor(len(self.cfg.rasa_ports)) as pool:
            list(pool.map(self._warm_up_one, self.cfg.rasa_ports))

    def _warm_up_one(self, port: int) -> None:
        body = json.dumps({"sender": f"warm-up-{port}", "message": "你好"}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                r.read()
        except (urllib.error.URLError, OSError) as exc:
            self.log(f"bot warm-up failed on port {port}: {exc}")

    def _rasa_ready(self, port: int | None = None) -> bool:
        ok, body = http_ok(f"http://127.0.0.1:{port or self.cfg.rasa_port}/status"
                           f"?token={quote(self.secret('RASA_TOKEN'))}")
        return ok and bool(body and (body.get("model_file") or body.get("model_id")))

    def _db_ready(self) -> bool:
        from pymongo import MongoClient
        try:
            with MongoClient(self.mongo_url, serverSelectionTimeoutMS=500) as c:
                c.admin.command("ping")
            return True
        except Exception:  # noqa: BLE001
            return False

    @staticmethod
    def _bridge_up(port: int) -> bool:
        return _tcp(port)

    def stop(self) -> None:
        self.group.stop()

    def check_children(self) -> list[str]:
        """Names of processes that have exited."""
        return [name for name, p in self.procs.items() if p.popen is not None and not p.alive]


def _nth(kind: str, i: int) -> str:
    """Process name of the i-th server of a kind: "rasa", "rasa-1", "rasa-2" …"""
    return kind if i == 0 else f"{kind}-{i}"


def _tcp(port: int) -> bool:
    from ops.procs import port_open
    return port_open(port)


if __name__ == "__main__":  # pragma: no cover - manual smoke
    sys.exit("use ./bangban run")

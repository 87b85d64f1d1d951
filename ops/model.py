"""Rasa model training, cached by the hash of everything that goes into a model."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from core.settings import ROOT

TRAINING_INPUTS = ("config.yml", "domain.yml", "data/nlu", "data/rules.yml", "data/stories.yml", "data/jieba",
                   "bot/rasa_speedups.py",
                   "requirements/rasa-py310.lock")


def cache_dir() -> Path:
    return Path(os.environ.get("BANGBAN_CACHE", Path.home() / ".cache" / "bangban"))


def rasa_bin() -> Path:
    return ROOT / ".venv-rasa" / "bin" / "rasa"


def rasa_env() -> dict[str, str]:
    return {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore",
            "PYTHONPATH": str(ROOT),
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "LOG_LEVEL": "WARNING"}


def training_hash(root: Path = ROOT, config: str = "config.yml") -> str:
    """Hash of the training data, domain, config and Rasa lock (file names and contents)."""
    h = hashlib.sha256()
    inputs = [config if name == "config.yml" else name for name in TRAINING_INPUTS]
    for name in inputs:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if f.exists():
                h.update(str(f.relative_to(root)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def ensure_model(root: Path = ROOT, config: str = "config.yml", log=print, force: bool = False) -> Path:
    """Path of a trained model for the current data; trains only when the hash is new."""
    models = cache_dir() / "models"
    models.mkdir(parents=True, exist_ok=True)
    digest = training_hash(root, config)
    target = models / f"{Path(config).stem}-{digest}.tar.gz"
    if target.exists() and not force:
        log(f"model up to date ({target.name})")
        return target
    log(f"training the Rasa model ({config}, hash {digest}); this takes about a minute ...")
    t0 = time.monotonic()
    tmp = models / f"tmp-{digest}-{os.getpid()}"
    tmp.mkdir(exist_ok=True)
    cmd = [str(rasa_bin()), "train", "--config", config, "--domain", "domain.yml", "--data", "data/nlu",
           "data/rules.yml", "data/stories.yml", "--out", str(tmp), "--fixed-model-name", "model", "--quiet"]
    env = {**os.environ, **rasa_env()}
    proc = subprocess.run(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-5000:])
        raise RuntimeError(f"rasa train failed with exit code {proc.returncode}")
    built = next(tmp.glob("*.tar.gz"))
    shutil.move(str(built), target)
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"model trained in {time.monotonic() - t0:.0f} s -> {target.name}")
    return target

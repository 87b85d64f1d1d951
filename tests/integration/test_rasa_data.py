"""Trainer discipline: `rasa data validate` passes on the project's data, for both pipelines."""

from __future__ import annotations

import os
import subprocess

import pytest

from core.settings import ROOT
from ops.model import rasa_bin, rasa_env


@pytest.mark.parametrize("config", ["config.yml", "config-diet.yml"])
def test_rasa_data_validate_passes(config):
    proc = subprocess.run(
        [str(rasa_bin()), "data", "validate", "--domain", "domain.yml", "--data", "data/nlu", "data/rules.yml",
         "data/stories.yml", "--config", config, "--fail-on-warnings"],
        cwd=ROOT, env={**os.environ, **rasa_env()}, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

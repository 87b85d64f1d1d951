"""A long-lived helper run by the Rasa venv's Python: validate projects and parse with a model.

Importing Rasa takes ~15 s, so the bridge keeps one of these processes and talks
JSON lines over stdin/stdout (logging goes to stderr):

    {"cmd": "validate", "root": "/tmp/copy"}  -> {"ok": bool, "errors": [...], "warnings": [...]}
    {"cmd": "parse", "model": "m.tar.gz", "texts": [...]} -> {"ok": true, "results": [{intent, confidence}]}
    {"cmd": "learn" | "story_test", ...}  -> see rasa_dialogue.py

Python 3.10 (the Rasa venv): no newer syntax here.
"""

import asyncio
import json
import logging
import os
import sys
import warnings

from bridge.trainer import rasa_dialogue  # learn, story_test

_OUT = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
sys.stdout = sys.stderr


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def validate(root):
    from rasa.cli import utils as cli_utils
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    handler = _Collect()
    logging.getLogger().addHandler(handler)
    cwd = os.getcwd()
    try:
        os.chdir(root)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            importer = TrainingDataImporter.load_from_config(
                config_path="config.yml", domain_path="domain.yml",
                training_data_paths=["data/nlu", "data/rules.yml", "data/stories.yml"])
            validator = Validator.from_importer(importer)
            if importer.get_domain().is_empty():
                return {"ok": False, "errors": ["domain 为空"], "warnings": []}
            good = cli_utils._validate_domain(validator)
            good = cli_utils._validate_nlu(validator, False) and good
            good = cli_utils._validate_story_structure(validator, None, False) and good
    except Exception as exc:  # noqa: BLE001 - every failure is a validation error to show
        return {"ok": False, "errors": [f"{type(exc).__name__}: {exc}"], "warnings": []}
    finally:
        os.chdir(cwd)
        logging.getLogger().removeHandler(handler)
    errors = [r.getMessage() for r in handler.records if r.levelno >= logging.ERROR]
    warns = [r.getMessage() for r in handler.records if r.levelno < logging.ERROR]
    warns += [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]
    warns = [w for w in warns if "Slot auto-fill has been removed" not in w]
    if not good and not errors:
        errors, warns = warns, []
    return {"ok": bool(good) and not errors, "errors": errors[:50], "warnings": warns[:50]}


def parse(model, texts):
    from rasa.core.agent import Agent

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        agent = Agent.load(model)
        results = []
        for text in texts:
            out = loop.run_until_complete(agent.parse_message(text))
            intent = out.get("intent") or {}
            results.append({"intent": intent.get("name"), "confidence": intent.get("confidence"),
                            "intent_ranking": out.get("intent_ranking") or [], "entities": out.get("entities") or []})
    finally:
        loop.close()
    return {"ok": True, "results": results}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            if req.get("cmd") == "validate":
                res = validate(req["root"])
            elif req.get("cmd") == "parse":
                res = parse(req["model"], req["texts"])
            elif req.get("cmd") in rasa_dialogue.COMMANDS:
                res = rasa_dialogue.COMMANDS[req["cmd"]](req)
            elif req.get("cmd") == "ping":
                import rasa.validator  # noqa: F401 - warm the imports

                res = {"ok": True}
            else:
                res = {"ok": False, "errors": ["unknown command"]}
        except Exception as exc:  # noqa: BLE001 - answer, never die
            res = {"ok": False, "errors": [f"{type(exc).__name__}: {exc}"]}
        _OUT.write(json.dumps(res, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

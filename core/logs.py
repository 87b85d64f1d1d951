"""Structured logs: one JSON object per line on stderr (structlog over stdlib logging), personal numbers masked."""

from __future__ import annotations

import logging
import sys

import structlog

from core.pii import mask_any


def setup_logging(service: str, level: str = "INFO") -> None:
    """Configure stdlib logging to emit JSON lines tagged with `service`, from `level` on (`LOG_LEVEL`)."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            lambda _l, _m, ev: {**ev, "service": service},
            structlog.processors.format_exc_info,
            lambda _l, _m, ev: mask_any(ev),  # ID, phone and bank card numbers never reach the logs
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiohttp.access", "engineio", "socketio", "pymongo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

"""Run one bridge process: `python -m bridge [--port N]`."""

from __future__ import annotations

import argparse
import sys

from aiohttp import web

from bridge.app import create_app
from bridge.infra.runtime import tune_gc
from core.logs import setup_logging
from core.settings import SettingsError, get_settings
from core.workcal import calendar_status


def main() -> None:
    try:
        settings = get_settings()
        settings.check()
    except SettingsError as exc:
        sys.exit(f"bridge: refusing to start: {exc}")
    parser = argparse.ArgumentParser(prog="bridge", description="Bangban bridge (aiohttp + Socket.IO)")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args()
    if args.host != settings.host:  # the address actually bound decides whether dev features are allowed
        settings = settings.model_copy(update={"host": args.host})
        try:
            settings.check()
        except SettingsError as exc:
            sys.exit(f"bridge: refusing to start: {exc}")
    setup_logging("bridge", settings.log_level)
    calendar_status()  # loads the holiday overrides; warns loudly when this year is not covered
    tune_gc(settings.gc_threshold)
    web.run_app(create_app(settings), host=args.host, port=args.port, print=None, access_log=None,
                shutdown_timeout=5)


if __name__ == "__main__":
    main()

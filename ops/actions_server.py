"""The action server (rasa_sdk) with a token: `/webhook` answers only calls carrying `?token=RASA_TOKEN`.

rasa_sdk has no authentication of its own; Rasa sends the token given as `token` of its
`action_endpoint` (endpoints.yml). Listens on `SANIC_HOST` (default loopback). `/health` stays open.
Usage: `python -m ops.actions_server --actions bot.actions --port 5055`.
"""

from __future__ import annotations

import hmac
import importlib
import logging
import os
import sys
from functools import partial

from rasa_sdk import endpoint, utils
from rasa_sdk.executor import ActionExecutor
from sanic import Request, Sanic, response
from sanic.worker.loader import AppLoader

from core.settings import SettingsError, load_settings

OPEN_PATHS = frozenset({"/health"})


def create_guarded_app(action_executor: ActionExecutor, token: str, endpoints: str, actions: str = "",
                       loglevel: int | str | None = None) -> Sanic:
    """rasa_sdk's app, refusing every request but `/health` without the token (module-level: pickled by Sanic).

    Once serving, the worker calls the actions package's `warm_up()` if it has one: Sanic serves from a
    worker process, so a warm-up started while the actions were registered in the main process would
    never reach the process that answers (nor would the main process's logging set-up).
    """
    app = endpoint.create_app_for_serve(action_executor, cors_origins=None, endpoints=endpoints)

    @app.after_server_start
    async def warm_up(_app: Sanic) -> None:
        utils.configure_colored_logging(loglevel)
        hook = getattr(importlib.import_module(actions), "warm_up", None) if actions else None
        if callable(hook):
            hook()

    @app.on_request
    async def require_token(request: Request) -> response.HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if hmac.compare_digest(request.args.get("token", "").encode(), token.encode()):
            return None
        return response.json({"error": "unauthorized"}, status=401)

    return app


def main() -> None:
    args = endpoint.create_argument_parser().parse_args()
    try:
        token = load_settings().rasa_token
    except SettingsError as exc:
        sys.exit(f"action server: refusing to start: {exc}")
    if not token:
        sys.exit("action server: refusing to start: RASA_TOKEN: must be set")
    utils.configure_colored_logging(args.loglevel)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(factory=partial(create_guarded_app, executor, token, args.endpoints,
                                       args.actions_module or args.actions, args.loglevel))
    app = loader.load()
    app.prepare(host=os.environ.get("SANIC_HOST", "127.0.0.1"), port=args.port,
                workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()

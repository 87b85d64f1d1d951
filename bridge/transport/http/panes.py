"""The panes (agent, h5, trainer, dashboard, helper) and their static assets, served by the bridge."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

PANES = Path(__file__).resolve().parents[2] / "panes"
PANE_NAMES = ("agent", "h5", "trainer", "dashboard", "helper")


def _pane(name: str):
    async def handler(request: web.Request) -> web.StreamResponse:
        path = PANES / name / "index.html"
        if not path.exists():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})
    return handler


def install(app: web.Application) -> None:
    """`/<pane>` and `/<pane>/` for each pane, `/static/` for their vendored assets."""
    for name in PANE_NAMES:
        app.router.add_get(f"/{name}", _pane(name))
        app.router.add_get(f"/{name}/", _pane(name))
    if (PANES / "static").exists():
        app.router.add_static("/static/", PANES / "static", show_index=False)

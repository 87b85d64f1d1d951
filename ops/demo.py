"""Demo staff accounts for a local development run: only on loopback, in development, against the embedded
database (or an external one with BANGBAN_DEMO=1); never in production."""

from __future__ import annotations

import asyncio

from bridge.admin import CommandError, create_agent
from core.db import connect
from core.settings import load_settings

DEMO_PASSWORD = "bangban-demo-2026"
DEMO_STAFF = [
    ("demo-agent", "王芳", ["housing-fund", "human-resources", "medical-insurance", "triage"], "agent"),
    ("demo-agent2", "李强", ["public-security", "market-regulation", "taxation", "bigdata-center", "triage"], "agent"),
    ("demo-super", "陈班长", ["*"], "supervisor"),
    ("demo-trainer", "赵训练师", [], "trainer"),
]


async def ensure_demo_staff() -> list[tuple[str, str, str]]:
    store = connect()
    try:
        await store.ensure_indexes()
        for username, name, deps, role in DEMO_STAFF:
            try:
                await create_agent(store, username, DEMO_PASSWORD, name, deps, role)
            except CommandError:
                pass  # exists already
    finally:
        await store.close()
    return [(u, role, ",".join(d) or "-") for u, _, d, role in DEMO_STAFF]


def main() -> None:
    """Create the demo accounts where allowed; print them, or say why they were skipped."""
    if not load_settings().local_development:
        print("demo accounts skipped: only for development on loopback with the embedded database "
              "(BANGBAN_DEMO=1 for an external MONGO_URL)")
        return
    for row in asyncio.run(ensure_demo_staff()):
        print(*row)


if __name__ == "__main__":
    main()

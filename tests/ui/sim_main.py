"""The product's pages on NiceGUI's own app, for the simulated user (nicegui.testing.user_simulation):
the services start and stop with the app, on a data dir the test names in XC_UI_TEST_DATA_DIR."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nicegui import app, ui
from nicegui.storage import Storage

from server.app import start_services, stop_services
from server.config import Settings
from server.ui import context
from server.ui.pages import register_pages

settings = Settings(data_dir=Path(os.environ["XC_UI_TEST_DATA_DIR"]), demo=True, send_retry_delays=(0.05,))
running: dict[str, Any] = {}
# The browsers' sessions beside this test's database, as in production (server/ui mount_ui): NiceGUI's default
# is ./.nicegui, which both test workers would share, and one worker's reset would empty it under the other.
Storage.path = (settings.data_dir / "ui-sessions").resolve()
app.storage = Storage()


async def startup() -> None:
    running["services"] = await start_services(settings)


async def shutdown() -> None:
    if "services" in running:
        await stop_services(running.pop("services"))


app.on_startup(startup)
app.on_shutdown(shutdown)
context.use_services(lambda: running.get("services"))
register_pages()
ui.run(storage_secret="ui-test-secret")

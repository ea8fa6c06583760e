"""The web front end: NiceGUI pages mounted on the API's FastAPI app (`ui.run_with`), so that the
webhooks and the REST API keep their own lean stack."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pathlib import Path

from fastapi import FastAPI
from nicegui import app, ui
from nicegui.storage import Storage

from server.ui import context
from server.ui.pages import register_pages


def mount_ui(api: FastAPI, services: Callable[[], Any], storage_secret: str, data_dir: Path) -> None:
    """`data_dir`: where the browsers' sessions are kept (beside the database, not in the working dir)."""
    Storage.path = (data_dir / "ui-sessions").resolve()
    app.storage = Storage()
    context.use_services(services)
    register_pages()
    # No polling binding loop: every live value is pushed by an actor's event (see context.subscribe).
    ui.run_with(api, mount_path="/", storage_secret=storage_secret, title="WhatsApp desk", favicon="💬",
                binding_refresh_interval=None, show_welcome_message=False, reconnect_timeout=10.0,
                message_history_length=100)  # what a reconnecting tab gets replayed; more reloads the page

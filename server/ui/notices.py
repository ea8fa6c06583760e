"""The desk's notices: one per event, at the top of the window between the queue chips and the state selector,
where they cover neither the offers, the composer nor the chat's menu. A notice about the same thing (`key`)
replaces the one before instead of piling up."""
from __future__ import annotations

from typing import Any, Literal

from nicegui import ui

Kind = Literal["positive", "negative", "warning", "info"]
SHOWN_MS = 5000


def tell(message: str, *, kind: Kind = "info", key: str | None = None) -> None:
    options: dict[str, Any] = {"group": key} if key else {}
    ui.notify(message, type=kind, position="top", timeout=SHOWN_MS, **options)

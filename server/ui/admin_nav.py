"""The header of the supervisor's and administrator's pages: where one is, and the way to every other page
the signed-in role may open. Pages check the role on the server themselves; this only draws the links."""
from __future__ import annotations

from nicegui import ui

from server.services.auth import Principal

# (path, label) of the administration pages, in the order of the menu.
ADMIN_PAGES: list[tuple[str, str]] = [
    ("/admin/users", "Users"),
    ("/admin/queues", "Queues"),
    ("/admin/accounts", "Accounts"),
    ("/admin/lists", "Lists"),
    ("/admin/catalog", "Tags & answers"),
    ("/admin/templates", "Templates"),
    ("/admin/campaigns", "Campaigns"),
    ("/admin/settings", "Settings"),
    ("/admin/audit", "Audit trail"),
]


def admin_header(principal: Principal, current: str) -> None:
    """The page header; `current` is the path of the page being drawn (shown underlined, not a link)."""
    with ui.header().classes("bg-secondary items-center px-4 py-2 gap-4"):
        ui.label("💬 WhatsApp desk").classes("text-lg font-semibold")
        _link("/", "Desk", current)
        if principal.role in ("admin", "supervisor"):
            _link("/supervisor", "Board", current)
        _link("/interactions", "Interactions", current)
        _link("/contacts", "Contacts", current)
        if principal.role == "admin":
            with ui.button("Admin", icon="settings").props("flat no-caps color=white").mark("admin-menu"):
                with ui.menu():
                    for path, label in ADMIN_PAGES:
                        ui.menu_item(label, on_click=lambda p=path: ui.navigate.to(p)).mark(f"admin-{path}")
        ui.space()
        ui.label(principal.full_name or principal.username).classes("text-sm")
        ui.link("Sign out", "/logout").classes("text-white text-sm")


def _link(path: str, label: str, current: str) -> None:
    if path == current:
        ui.label(label).classes("font-medium underline")
    else:
        ui.link(label, path).classes("text-white")

"""The Users page (SPEC A1, R6): every user with full name, role, own capacity and whether they may sign in; create
one, change role, full name or capacity, set a new password, disable or enable. The admin service checks and refuses
(a taken username, a short password, disabling oneself); the page shows its answers."""
from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.services.admin import MAX_CAPACITY
from server.services.auth import ROLES, Principal
from server.ui import context
from server.ui.admin_kit import Action, actions_cell, admin_door, changed, columns, page_table, title_row, whole

PATH = "/admin/users"
COLUMNS = columns(("username", "Username"), ("full_name", "Full name"), ("role", "Role"),
                  ("capacity", "Capacity"), ("status", "Status"), ("actions", ""))
QUEUES_SETTING = "queues' setting"
ACTIONS = actions_cell(Action("edit", "Edit", "edit"), Action("password", "Password", "key"),
                       Action("disable", "Disable", "block", "negative", only_if="active"),
                       Action("enable", "Enable", "check_circle", "positive", only_if="disabled"))


async def users_page() -> RedirectResponse | None:
    principal = await admin_door(PATH)
    if isinstance(principal, Principal):
        await UsersPage(principal).build()
        return None
    return principal


class UsersPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.service = context.services().admin
        self.users: dict[str, dict[str, Any]] = {}

    async def build(self) -> None:
        with title_row("Users"):
            ui.button("New user", icon="person_add", on_click=lambda: self.edit(None)).props(
                "unelevated no-caps").mark("users-new")
        self.table = page_table(COLUMNS, "username", "users-table", ACTIONS, pagination=25)
        self.table.on("edit", lambda event: self.edit(self.users.get(event.args["username"])))
        self.table.on("password", lambda event: self.password(event.args["username"]))
        self.table.on("disable", lambda event: self.set_disabled(event.args["username"], True))
        self.table.on("enable", lambda event: self.set_disabled(event.args["username"], False))
        await self.load()

    async def load(self) -> None:
        found = await context.attempt(self.service.list_users(self.principal))
        if found is None:
            return
        self.users = {u["username"]: u for u in found}
        self.table.rows = [{"username": u["username"], "full_name": u["full_name"], "role": u["role"],
                            "capacity": QUEUES_SETTING if u["capacity"] is None else str(u["capacity"]),
                            "status": "Disabled" if u["disabled"] else "Active", "active": not u["disabled"],
                            "disabled": u["disabled"]} for u in found]
        self.table.update()

    def edit(self, user: dict[str, Any] | None) -> None:
        """A new user (username, password, role, full name, capacity), or an existing one's role, full name and
        capacity (empty: the queues' setting)."""
        with context.dialog() as dialog, ui.card().classes("w-[440px] max-w-[95vw] gap-2"):
            ui.label(f"Edit {user['username']}" if user else "New user").classes("text-lg font-medium")
            if user is None:
                username = ui.input("Username").props("outlined dense").classes("w-full").mark("user-username")
                password = ui.input("Password (at least 8 characters)", password=True).props(
                    "outlined dense").classes("w-full").mark("user-password")
            full_name = ui.input("Full name", value=user["full_name"] if user else "").props(
                "outlined dense").classes("w-full").mark("user-full-name")
            role = ui.select({r: r.capitalize() for r in ROLES}, label="Role", value=user["role"] if user else "agent"
                             ).props("outlined dense").classes("w-full").mark("user-role")
            capacity = ui.number("Max open conversations (empty: the queues' setting)",
                                 value=user["capacity"] if user else None, min=1, max=MAX_CAPACITY, step=1,
                                 precision=0).props("outlined dense").classes("w-full").mark("user-capacity")

            async def save() -> None:
                values = {"full_name": full_name.value or "", "role": role.value,
                          "capacity": whole(capacity.value)}
                if user is None:
                    body = {"username": username.value or "", "password": password.value or "", **values}
                    done = await context.attempt(self.service.create_user(self.principal, body))
                else:
                    changes = changed(values, user)
                    if not changes:
                        ui.notify("Nothing to save.")
                        return
                    done = await context.attempt(self.service.update_user(self.principal, user["username"], changes))
                if done is None:
                    return
                ui.notify(f"User {done['username']} saved.", type="positive")
                dialog.close()
                await self.load()

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Save", on_click=save).props("unelevated no-caps").mark("user-save")
        dialog.open()

    def password(self, username: str) -> None:
        """A new password; the user's sessions end (the service signs them out everywhere)."""
        with context.dialog() as dialog, ui.card().classes("w-[440px] max-w-[95vw] gap-2"):
            ui.label(f"New password for {username}").classes("text-lg font-medium")
            ui.label("They are signed out everywhere and sign in again with it.").classes("xc-muted text-sm")
            password = ui.input("New password (at least 8 characters)", password=True).props(
                "outlined dense").classes("w-full").mark("user-new-password")

            async def save() -> None:
                done = await context.attempt(self.service.update_user(self.principal, username,
                                                                      {"password": password.value or ""}))
                if done is not None:
                    ui.notify(f"Password of {username} changed.", type="positive")
                    dialog.close()

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Set password", on_click=save).props("unelevated no-caps").mark("user-password-save")
        dialog.open()

    async def set_disabled(self, username: str, disabled: bool) -> None:
        done = await context.attempt(self.service.update_user(self.principal, username, {"disabled": disabled}))
        if done is not None:
            ui.notify(f"{username} disabled: signed out, cannot sign in, and their conversations wait in their "
                      "queues again." if disabled else f"{username} enabled.", type="positive")
            await self.load()

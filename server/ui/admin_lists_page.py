"""The Lists page (SPEC A1, C1, C2, C9): contact lists (create, rename, delete when empty); for the open list
who may view, add to and edit it (a checkbox per user and right) and its custom fields; and the contact
triggers that put new numbers of an account or queue into a list. The contact admin service holds the
rules (an add or edit right needs view; only an empty list goes); the page shows its answers."""
from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import Action, actions_cell, admin_door, columns, confirm, succeeded, title_row
from server.ui.admin_list_fields import FieldsSection
from server.ui.admin_triggers import TriggersSection

PATH = "/admin/lists"
LIST_COLUMNS = columns(("name", "List"), ("contacts", "Contacts"), ("actions", ""))
LIST_ACTIONS = actions_cell(Action("open", "Open", "tune"), Action("rename", "", "edit"),
                            Action("delete", "", "delete", "negative"))
RIGHTS = ("view", "add", "edit")
PERMISSION_COLUMNS = columns(("user", "User"), ("full_name", "Full name"), ("role", "Role"), ("view", "View"),
                             ("add", "Add"), ("edit", "Edit"))


def _checkbox_cell(right: str) -> str:
    return (f'<q-td :props="props"><q-checkbox dense :model-value="props.row.{right}" '
            f'@update:model-value="(v) => $parent.$emit(\'right\', {{user: props.row.user, right: \'{right}\', '
            f'value: v}})" /></q-td>')


async def lists_page() -> RedirectResponse | None:
    principal = await admin_door(PATH)
    if isinstance(principal, Principal):
        await ListsPage(principal).build()
        return None
    return principal


class ListsPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.service = context.services().contact_admin
        self.lists: dict[str, dict[str, Any]] = {}
        self.opened: str | None = None

    async def build(self) -> None:
        with title_row("Contact lists"):
            ui.button("New list", icon="add", on_click=lambda: self.name_dialog(None)).props(
                "unelevated no-caps").mark("lists-new")
        with ui.row().classes("w-full no-wrap gap-4 px-4 items-start"):
            with ui.column().classes("xc-card p-3 w-[420px] gap-2"):
                self.table = ui.table(columns=LIST_COLUMNS, rows=[], row_key="name").props("flat dense").classes(
                    "w-full").mark("lists-table")
                self.table.add_slot("body-cell-actions", LIST_ACTIONS)
                self.table.on("open", lambda event: self.open(event.args["name"]))
                self.table.on("rowClick", lambda event: self.open(event.args[1]["name"]))
                self.table.on("rename", lambda event: self.name_dialog(event.args["name"]))
                self.table.on("delete", lambda event: self.delete(event.args["name"]))
            self.detail = ui.column().classes("xc-card p-3 flex-grow gap-2").mark("list-detail")
            self.detail.set_visibility(False)
        self.triggers = TriggersSection(self.principal)
        await self.load()
        await self.triggers.build()

    async def load(self) -> None:
        found = await context.attempt(self.service.lists(self.principal))
        if found is None:
            return
        self.lists = {row["name"]: row for row in found}
        self.table.rows = found
        self.table.update()
        if self.opened is not None and self.opened not in self.lists:
            self.opened = None
            self.detail.set_visibility(False)

    async def reload(self) -> None:
        """After a list was added, renamed or deleted: the table, and the trigger section's list choices."""
        await self.load()
        await self.triggers.load()

    async def open(self, name: str) -> None:
        """The list's permissions and custom fields."""
        users = await context.attempt(context.services().admin.list_users(self.principal))
        if users is None:
            return
        self.opened = name
        self.users = [u for u in users if u["role"] != "admin" and not u["disabled"]]  # admins see every list
        self.detail.clear()
        self.detail.set_visibility(True)
        with self.detail:
            ui.label(f"List {name}").classes("text-base font-semibold").mark("list-opened")
            ui.label("Who may view, add contacts to and edit this list (administrators may everything). "
                     "Adding and editing need viewing.").classes("xc-muted text-sm")
            self.permissions = ui.table(columns=PERMISSION_COLUMNS, rows=[], row_key="user", pagination=15).props(
                "flat dense").classes("w-full").mark("list-permissions")
            for right in RIGHTS:
                self.permissions.add_slot(f"body-cell-{right}", _checkbox_cell(right))
            self.permissions.on("right", lambda event: self.set_right(event.args))
            self.fields = FieldsSection(self.principal, name)
        await self.load_permissions()
        await self.fields.build()

    async def load_permissions(self) -> None:
        if self.opened is None:
            return
        granted = await context.attempt(self.service.permissions(self.principal, self.opened))
        if granted is None:
            return
        by_user = {g["user"]: g for g in granted}
        self.permissions.rows = [{"user": u["username"], "full_name": u["full_name"], "role": u["role"],
                                  **{r: bool(by_user.get(u["username"], {}).get(r)) for r in RIGHTS}}
                                 for u in self.users]
        self.permissions.update()

    async def set_right(self, args: dict[str, Any]) -> None:
        """One checkbox: the user's three rights on the list, with that one changed."""
        row = next((r for r in self.permissions.rows if r["user"] == args.get("user")), None)
        if row is None or self.opened is None or args.get("right") not in RIGHTS:
            return
        body = {"user": row["user"], **{r: row[r] for r in RIGHTS}, args["right"]: bool(args.get("value"))}
        await context.attempt(self.service.set_permission(self.principal, self.opened, body))
        await self.load_permissions()  # what is stored, also after a refusal

    def name_dialog(self, current: str | None) -> None:
        with context.dialog() as dialog, ui.card().classes("w-[420px] max-w-[95vw] gap-2"):
            ui.label(f"Rename {current}" if current else "New contact list").classes("text-lg font-medium")
            name = ui.input("Name", value=current or "").props("outlined dense").classes("w-full").mark(
                "list-name")

            async def save() -> None:
                if current is None:
                    done = await context.attempt(self.service.create_list(self.principal, {"name": name.value}))
                else:
                    done = await context.attempt(self.service.rename_list(self.principal, current,
                                                                          {"name": name.value}))
                if done is None:
                    return
                ui.notify(f"List {done['name']} saved.", type="positive")
                dialog.close()
                if current is not None and self.opened == current:
                    self.opened = done["name"]
                await self.reload()
                if self.opened == done["name"]:
                    await self.open(done["name"])

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Save", on_click=save).props("unelevated no-caps").mark("list-save")
        dialog.open()

    def delete(self, name: str) -> None:
        async def delete() -> bool:
            if not await succeeded(self.service.delete_list(self.principal, name)):
                return False
            ui.notify(f"List {name} deleted.", type="positive")
            await self.reload()
            return True

        confirm(f"Delete the list {name}?", "Only an empty list can go; its permissions, custom fields and "
                "triggers go with it.", "list-delete-confirm", delete)

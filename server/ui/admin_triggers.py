"""The contact triggers on the Lists page (SPEC C9): for an entry point (an account or a queue), the list a
new customer's contact is created in. One per entry point: setting another replaces it (the service's rule)."""
from __future__ import annotations

from typing import Any

from nicegui import ui

from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import Action, actions_cell, columns, confirm, succeeded

COLUMNS = columns(("entry", "Entry point"), ("list", "Contacts go to list"), ("actions", ""))
ACTIONS = actions_cell(Action("delete", "", "delete", "negative"))


def entry_text(trigger: dict[str, Any]) -> str:
    return f"Account {trigger['account']}" if trigger["account"] else f"Queue {trigger['queue']}"


class TriggersSection:
    """Drawn where it is made; `build` fills it."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.services = context.services()
        with ui.column().classes("xc-card p-3 mx-4 my-4 gap-2").style("width: calc(100% - 2rem)"):
            ui.label("Contact triggers").classes("text-base font-semibold")
            ui.label("A message from an unknown number on this account or queue creates a contact in this list."
                     ).classes("xc-muted text-sm")
            self.table = ui.table(columns=COLUMNS, rows=[], row_key="id").props("flat dense").classes(
                "w-full").mark("triggers-table")
            self.table.add_slot("body-cell-actions", ACTIONS)
            self.table.on("delete", lambda event: self.delete(event.args["id"]))
            with ui.row().classes("w-full items-center gap-2"):
                self.entry = ui.select({}, label="Account or queue").props("outlined dense").classes(
                    "w-[280px]").mark("trigger-entry")
                self.list = ui.select([], label="List").props("outlined dense").classes("w-[240px]").mark(
                    "trigger-list")
                ui.button("Set trigger", icon="bolt", on_click=self.create).props("unelevated no-caps").mark(
                    "trigger-save")

    async def build(self) -> None:
        accounts = await context.attempt(self.services.account_admin.list(self.principal))
        queues = await context.attempt(self.services.queue_admin.list(self.principal))
        options = {f"account:{a['key']}": f"Account {a['key']}" for a in accounts or []}
        options |= {f"queue:{q['name']}": f"Queue {q['name']}" for q in queues or []}
        self.entry.set_options(options)
        await self.load()

    async def load(self) -> None:
        """The triggers, and the lists to choose from."""
        found = await context.attempt(self.services.contact_admin.triggers(self.principal))
        lists = await context.attempt(self.services.contact_admin.lists(self.principal))
        if found is None or lists is None:
            return
        self.table.rows = [{"id": t["id"], "entry": entry_text(t), "list": t["list"]} for t in found]
        self.table.update()
        self.list.set_options([row["name"] for row in lists], value=self.list.value if self.list.value in [
            row["name"] for row in lists] else None)

    async def create(self) -> None:
        kind, _, name = str(self.entry.value or "").partition(":")
        body = {kind or "account": name or None, "list": self.list.value}
        done = await context.attempt(self.services.contact_admin.create_trigger(self.principal, body))
        if done is None:
            return
        ui.notify(f"New contacts of {entry_text(done)} go to the list {done['list']}.", type="positive")
        await self.load()

    def delete(self, trigger_id: int) -> None:
        """Asks first; the question names the trigger as this page shows it."""
        row = next((r for r in self.table.rows if r["id"] == trigger_id), None)
        if row is None:
            return

        async def delete() -> bool:
            if not await succeeded(self.services.contact_admin.delete_trigger(self.principal, trigger_id)):
                return False
            ui.notify("Trigger removed.", type="positive")
            await self.load()
            return True

        confirm(f"Remove the trigger of {row['entry']}?", "New customers there will no longer get a contact in "
                f"{row['list']}.", "trigger-delete-confirm", delete, label="Remove")

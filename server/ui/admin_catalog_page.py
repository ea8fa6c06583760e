"""The Catalog page (SPEC A1): what agents pick from. Tags (name and color), dispositions to close
conversations with, and canned answers (name and text with placeholders); list, create, edit, delete. The
contact admin and catalog admin services check and refuse (a taken name, a disposition in use)."""
from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.services.auth import Principal
from server.services.catalog_admin import KNOWN
from server.ui import context
from server.ui.admin_kit import Action, actions_cell, admin_door, changed, columns, confirm, succeeded, title_row
from server.ui.admin_tags import TagsSection

PATH = "/admin/catalog"
EDIT_DELETE = actions_cell(Action("edit", "", "edit"), Action("delete", "", "delete", "negative"))
DISPOSITION_COLUMNS = columns(("name", "Disposition"), ("actions", ""))
CANNED_COLUMNS = columns(("name", "Name"), ("preview", "Text"), ("actions", ""))
PREVIEW = 90  # characters of a canned answer shown in the table


async def catalog_page() -> RedirectResponse | None:
    principal = await admin_door(PATH)
    if isinstance(principal, Principal):
        await CatalogPage(principal).build()
        return None
    return principal


class CatalogPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.service = context.services().catalog_admin
        self.dispositions: dict[str, dict[str, Any]] = {}
        self.canned: dict[str, dict[str, Any]] = {}

    async def build(self) -> None:
        title_row("Tags, dispositions and canned answers")
        with ui.row().classes("w-full gap-4 px-4 pb-6 items-start"):
            with ui.column().classes("xc-card p-3 w-[360px] gap-2"):
                self.tags = TagsSection(self.principal)
            with ui.column().classes("xc-card p-3 w-[320px] gap-2"):
                with ui.row().classes("w-full items-center"):
                    ui.label("Dispositions").classes("text-base font-semibold")
                    ui.space()
                    ui.button("New", icon="add", on_click=lambda: self.disposition(None)).props(
                        "flat no-caps").mark("disposition-new")
                self.disposition_table = self._table(DISPOSITION_COLUMNS, "dispositions-table")
                self.disposition_table.on("edit", lambda event: self.disposition(event.args["name"]))
                self.disposition_table.on("delete", lambda event: self.delete_disposition(event.args["name"]))
            with ui.column().classes("xc-card p-3 flex-grow min-w-[420px] gap-2"):
                with ui.row().classes("w-full items-center"):
                    ui.label("Canned answers").classes("text-base font-semibold")
                    ui.space()
                    ui.button("New", icon="add", on_click=lambda: self.canned_dialog(None)).props(
                        "flat no-caps").mark("canned-new")
                self.canned_table = self._table(CANNED_COLUMNS, "canned-table")
                self.canned_table.on("edit", lambda event: self.canned_dialog(self.canned.get(event.args["name"])))
                self.canned_table.on("delete", lambda event: self.delete_canned(event.args["name"]))
        await self.tags.load()
        await self.load_dispositions()
        await self.load_canned()

    @staticmethod
    def _table(table_columns: list[dict[str, Any]], marker: str) -> ui.table:
        table = ui.table(columns=table_columns, rows=[], row_key="name").props("flat dense wrap-cells").classes(
            "w-full").mark(marker)
        table.add_slot("body-cell-actions", EDIT_DELETE)
        return table

    # --- dispositions ------------------------------------------------------------------------------
    async def load_dispositions(self) -> None:
        found = await context.attempt(self.service.list_dispositions(self.principal))
        if found is not None:
            self.dispositions = {d["name"]: d for d in found}
            self.disposition_table.rows = found
            self.disposition_table.update()

    def disposition(self, current: str | None) -> None:
        """A new disposition, or a rename (conversations closed with it show the new name)."""
        with context.dialog() as dialog, ui.card().classes("w-[420px] max-w-[95vw] gap-2"):
            ui.label(f"Rename {current}" if current else "New disposition").classes("text-lg font-medium")
            name = ui.input("Name", value=current or "").props("outlined dense").classes("w-full").mark(
                "disposition-name")

            async def save() -> None:
                body = {"name": name.value or ""}
                if current is None:
                    done = await context.attempt(self.service.create_disposition(self.principal, body))
                else:
                    done = await context.attempt(self.service.update_disposition(self.principal, current, body))
                if done is None:
                    return
                ui.notify(f"Disposition {done['name']} saved.", type="positive")
                dialog.close()
                await self.load_dispositions()

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Save", on_click=save).props("unelevated no-caps").mark("disposition-save")
        dialog.open()

    def delete_disposition(self, name: str) -> None:
        async def delete() -> bool:
            if not await succeeded(self.service.delete_disposition(self.principal, name)):
                return False
            ui.notify(f"Disposition {name} deleted.", type="positive")
            await self.load_dispositions()
            return True

        confirm(f"Delete the disposition {name}?", "One that conversations were closed with stays for their "
                "history: rename it instead.", "disposition-delete-confirm", delete)

    # --- canned answers ----------------------------------------------------------------------------
    async def load_canned(self) -> None:
        found = await context.attempt(self.service.list_canned(self.principal))
        if found is not None:
            self.canned = {c["name"]: c for c in found}
            self.canned_table.rows = [{"name": c["name"], "preview": _preview(c["body"])} for c in found]
            self.canned_table.update()

    def canned_dialog(self, answer: dict[str, Any] | None) -> None:
        with context.dialog() as dialog, ui.card().classes("w-[560px] max-w-[95vw] gap-2"):
            ui.label(f"Edit {answer['name']}" if answer else "New canned answer").classes("text-lg font-medium")
            name = ui.input("Name", value=answer["name"] if answer else "").props("outlined dense").classes(
                "w-full").mark("canned-name")
            body = ui.textarea("Text", value=answer["body"] if answer else "").props(
                "outlined dense autogrow").classes("w-full").mark("canned-body")
            ui.label("Placeholders filled in when sending: " + ", ".join("{" + k + "}" for k in KNOWN)).classes(
                "xc-muted text-xs")

            async def save() -> None:
                values = {"name": (name.value or "").strip(), "body": body.value or ""}
                if answer is None:
                    done = await context.attempt(self.service.create_canned(self.principal, values))
                else:
                    changes = changed(values, answer)
                    if not changes:
                        ui.notify("Nothing to save.")
                        return
                    done = await context.attempt(self.service.update_canned(self.principal, answer["name"], changes))
                if done is None:
                    return
                ui.notify(f"Canned answer {done['name']} saved.", type="positive")
                dialog.close()
                await self.load_canned()

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Save", on_click=save).props("unelevated no-caps").mark("canned-save")
        dialog.open()

    def delete_canned(self, name: str) -> None:
        async def delete() -> bool:
            if not await succeeded(self.service.delete_canned(self.principal, name)):
                return False
            ui.notify(f"Canned answer {name} deleted.", type="positive")
            await self.load_canned()
            return True

        confirm(f"Delete the canned answer {name}?", "", "canned-delete-confirm", delete)


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW else flat[:PREVIEW - 1] + "…"

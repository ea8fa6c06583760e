"""The tags on the Catalog page (SPEC C3, A1): name and color (a color picker); create, edit, delete (the tag
leaves every contact and conversation that had it)."""
from __future__ import annotations

from typing import Any

from nicegui import ui

from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import Action, actions_cell, changed, columns, confirm, succeeded

COLUMNS = columns(("name", "Tag"), ("color", "Color"), ("actions", ""))
COLOR_CELL = """<q-td :props="props"><q-chip dense square text-color="white" :style="{background: props.row.color}"
 :label="props.row.color" /></q-td>"""
ACTIONS = actions_cell(Action("edit", "", "edit"), Action("delete", "", "delete", "negative"))
DEFAULT_COLOR = "#607d8b"


class TagsSection:
    """Drawn where it is made; `load` fills it."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.service = context.services().contact_admin
        self.tags: dict[str, dict[str, Any]] = {}
        with ui.row().classes("w-full items-center"):
            ui.label("Tags").classes("text-base font-semibold")
            ui.space()
            ui.button("New tag", icon="add", on_click=lambda: self.edit(None)).props("flat no-caps").mark("tag-new")
        self.table = ui.table(columns=COLUMNS, rows=[], row_key="name").props("flat dense").classes("w-full").mark(
            "tags-table")
        self.table.add_slot("body-cell-color", COLOR_CELL)
        self.table.add_slot("body-cell-actions", ACTIONS)
        self.table.on("edit", lambda event: self.edit(self.tags.get(event.args["name"])))
        self.table.on("delete", lambda event: self.delete(event.args["name"]))

    async def load(self) -> None:
        found = await context.attempt(self.service.tags(self.principal))
        if found is None:
            return
        self.tags = {t["name"]: t for t in found}
        self.table.rows = found
        self.table.update()

    def edit(self, tag: dict[str, Any] | None) -> None:
        with context.dialog() as dialog, ui.card().classes("w-[420px] max-w-[95vw] gap-2"):
            ui.label(f"Edit the tag {tag['name']}" if tag else "New tag").classes("text-lg font-medium")
            name = ui.input("Name", value=tag["name"] if tag else "").props("outlined dense").classes(
                "w-full").mark("tag-name")
            color = ui.color_input("Color", value=tag["color"] if tag else DEFAULT_COLOR).props(
                "outlined dense").classes("w-full").mark("tag-color")

            async def save() -> None:
                values = {"name": (name.value or "").strip(), "color": (color.value or "").strip()}
                if tag is None:
                    done = await context.attempt(self.service.create_tag(self.principal, values))
                else:
                    changes = changed(values, tag)
                    if not changes:
                        ui.notify("Nothing to save.")
                        return
                    done = await context.attempt(self.service.update_tag(self.principal, tag["name"], changes))
                if done is None:
                    return
                ui.notify(f"Tag {done['name']} saved.", type="positive")
                dialog.close()
                await self.load()

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Save", on_click=save).props("unelevated no-caps").mark("tag-save")
        dialog.open()

    def delete(self, name: str) -> None:
        async def delete() -> bool:
            if not await succeeded(self.service.delete_tag(self.principal, name)):
                return False
            ui.notify(f"Tag {name} deleted.", type="positive")
            await self.load()
            return True

        confirm(f"Delete the tag {name}?", "It leaves every contact and conversation that has it.",
                "tag-delete-confirm", delete)

"""The custom fields of one contact list on the Lists page (SPEC C2): name, label, kind and choices; add,
edit (label and choices: contacts hold values under the name and kind), delete."""
from __future__ import annotations

from typing import Any

from nicegui import ui

from server.domain.contact_fields import KINDS
from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import Action, actions_cell, columns, confirm, succeeded

COLUMNS = columns(("name", "Name"), ("label", "Label"), ("kind", "Kind"), ("choices", "Choices"), ("actions", ""))
ACTIONS = actions_cell(Action("edit", "", "edit"), Action("delete", "", "delete", "negative"))


def split_choices(text: str | None) -> list[str]:
    """The choices typed one per comma, blanks dropped."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class FieldsSection:
    """Drawn where it is made (inside the list's detail); `build` fills it."""

    def __init__(self, principal: Principal, list_name: str) -> None:
        self.principal = principal
        self.list_name = list_name
        self.service = context.services().contact_admin
        self.fields: dict[int, dict[str, Any]] = {}
        with ui.row().classes("w-full items-center pt-2"):
            ui.label("Custom fields").classes("text-base font-semibold")
            ui.space()
            ui.button("Add field", icon="add", on_click=lambda: self.edit(None)).props("flat no-caps").mark(
                "field-new")
        self.table = ui.table(columns=COLUMNS, rows=[], row_key="id").props("flat dense").classes("w-full").mark(
            "list-fields")
        self.table.add_slot("body-cell-actions", ACTIONS)
        self.table.on("edit", lambda event: self.edit(self.fields.get(event.args["id"])))
        self.table.on("delete", lambda event: self.delete(event.args["id"]))

    async def build(self) -> None:
        await self.load()

    async def load(self) -> None:
        found = await context.attempt(self.service.fields(self.principal, self.list_name))
        if found is None:
            return
        self.fields = {f["id"]: f for f in found}
        self.table.rows = [{**f, "choices": ", ".join(f["choices"])} for f in found]
        self.table.update()

    def edit(self, field: dict[str, Any] | None) -> None:
        with context.dialog() as dialog, ui.card().classes("w-[440px] max-w-[95vw] gap-2"):
            ui.label(f"Edit the field {field['name']}" if field else f"New field of {self.list_name}").classes(
                "text-lg font-medium")
            if field is None:
                name = ui.input("Name (lowercase letters, digits, _)").props("outlined dense").classes(
                    "w-full").mark("field-name")
                kind = ui.select({k: k.capitalize() for k in KINDS}, label="Kind", value="text").props(
                    "outlined dense").classes("w-full").mark("field-kind")
            label = ui.input("Label", value=field["label"] if field else "").props("outlined dense").classes(
                "w-full").mark("field-label")
            choices = ui.input("Choices, separated by commas", value=", ".join(field["choices"]) if field else ""
                               ).props("outlined dense").classes("w-full").mark("field-choices")
            if field is None:
                choices.bind_visibility_from(kind, "value", value="choice")
            else:
                choices.set_visibility(field["kind"] == "choice")

            async def save() -> None:
                if field is None:
                    body = {"list": self.list_name, "name": (name.value or "").strip(), "label": label.value or "",
                            "kind": kind.value,
                            "choices": split_choices(choices.value) if kind.value == "choice" else None}
                    done = await context.attempt(self.service.create_field(self.principal, body))
                else:
                    body = {"label": label.value or ""}
                    if field["kind"] == "choice":
                        body["choices"] = split_choices(choices.value)
                    done = await context.attempt(self.service.update_field(self.principal, field["id"], body))
                if done is None:
                    return
                ui.notify(f"Field {done['name']} saved.", type="positive")
                dialog.close()
                await self.load()

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Save", on_click=save).props("unelevated no-caps").mark("field-save")
        dialog.open()

    def delete(self, field_id: int) -> None:
        field = self.fields.get(field_id)
        if field is None:
            return

        async def delete() -> bool:
            if not await succeeded(self.service.delete_field(self.principal, field_id)):
                return False
            ui.notify(f"Field {field['name']} deleted.", type="positive")
            await self.load()
            return True

        confirm(f"Delete the field {field['name']}?", "Contacts keep their values, but they are no longer shown "
                "or searched.", "field-delete-confirm", delete)

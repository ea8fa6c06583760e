"""The right sidebar of the open conversation (SPEC D8): the contact, the interaction's details, and the
customer's journey. Filled when a conversation is selected; only the visible tab's content is built."""
from __future__ import annotations

from typing import Any

from nicegui import ui

from server.ui import context


class Sidebar:
    def __init__(self, desk: Any) -> None:
        self.desk = desk
        with ui.tabs().props("dense align=justify").classes("w-full") as self.tabs:
            ui.tab("contact", "Contact")
            ui.tab("details", "Details")
            ui.tab("journey", "Journey")
        self.body = ui.column().classes("w-full p-3 gap-2")
        self.interaction: dict[str, Any] | None = None
        self.tabs.set_value("contact")
        self.tabs.on_value_change(self.show)

    async def set_interaction(self, interaction: dict[str, Any] | None) -> None:
        self.interaction = interaction
        await self.show()

    async def show(self) -> None:
        self.body.clear()
        with self.body:
            if self.interaction is None:
                ui.label("Select a conversation to see its customer.").classes("xc-muted")
                return
            if self.tabs.value == "contact":
                self._contact()
            elif self.tabs.value == "details":
                self._details()
            else:
                await self._journey()

    def _contact(self) -> None:
        contact = self.interaction["contact"]  # type: ignore[index]
        name = contact["name"] or "Unknown customer"
        with ui.row().classes("items-center gap-3"):
            ui.avatar(name[:1].upper(), color="primary", text_color="white")
            with ui.column().classes("gap-0"):
                ui.label(name).classes("font-medium")
                ui.label(contact["phone"]).classes("xc-muted text-sm")
        _field("WhatsApp", contact["phone"])
        _field("Saved contact", "yes" if contact.get("id") else "not yet in a contact list")

    def _details(self) -> None:
        interaction = self.interaction
        assert interaction is not None
        _field("Account", interaction["account"])
        _field("Queue", interaction["queue"])
        _field("Created", _when(interaction["created_at"]))
        _field("Accepted", _when(interaction["accepted_at"]))
        _field("Status", interaction["status"])
        _field("Tags", ", ".join(interaction["tags"]) or "none")
        _field("Disposition", interaction["disposition"] or "none yet")

    async def _journey(self) -> None:
        interaction = self.interaction
        assert interaction is not None
        visits = await context.attempt(context.services().interactions.journey(self.desk.principal, interaction["id"]))
        for visit in visits or []:
            with ui.column().classes("xc-card w-full p-2 gap-0"):
                ui.label(("▶ This conversation" if visit["current"] else _when(visit["created_at"]))).classes(
                    "font-medium text-sm")
                ui.label(f"{visit['queue']} · {visit['agent'] or 'not answered'} · {visit['status']}").classes(
                    "xc-muted text-xs")
                if visit["disposition"]:
                    ui.label(f"Disposition: {visit['disposition']}").classes("text-xs")


def _field(label: str, value: str | None) -> None:
    with ui.column().classes("gap-0"):
        ui.label(label).classes("xc-muted text-xs")
        ui.label(value or "—").classes("text-sm")


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:16] + " UTC" if value else "—"

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
                await self._contact()
            elif self.tabs.value == "details":
                self._details()
            else:
                await self._journey()

    async def _contact(self) -> None:
        interaction = self.interaction
        assert interaction is not None
        contact = interaction["contact"]
        card = await context.attempt(context.services().contacts.card(self.desk.principal, interaction["id"]))
        if card is None:
            return
        saved = card["contact"]
        name = " ".join(filter(None, [saved["first_name"], saved["last_name"]])) if saved else contact["name"]
        with ui.row().classes("items-center gap-3 no-wrap"):
            ui.avatar((name or "?")[:1].upper(), color="primary", text_color="white")
            with ui.column().classes("gap-0"):
                ui.label(name or "Unknown customer").classes("font-medium")
                ui.label(contact["phone"]).classes("xc-muted text-sm")
        ui.button("Message", icon="chat", on_click=self.desk.focus_composer).props("flat dense no-caps")
        if saved is None:
            ui.label("Not saved in a contact list yet.").classes("xc-muted text-sm")
            if card["lists"]:
                self._contact_form({"first_name": name.split(" ")[0] if name else "",
                                    "last_name": " ".join(name.split(" ")[1:]) if name else ""}, card["lists"])
            return
        for label, value in (("List", saved["list"]), ("Email", saved["email"]), ("Company", saved["company"]),
                             ("Notes", saved["notes"])):
            _field(label, value)
        if card["can_edit"]:
            ui.button("Edit", icon="edit", on_click=lambda: self._edit(saved)).props("flat dense no-caps").mark(
                "contact-edit")

    def _edit(self, saved: dict[str, Any]) -> None:
        self.body.clear()
        with self.body:
            self._contact_form(saved, [])

    def _contact_form(self, values: dict[str, Any], lists: list[str]) -> None:
        """The contact's fields; with `lists`, it creates the contact in the chosen one."""
        masking = context.services().interactions.masking(self.desk.principal)
        inputs = {}
        for field, label in (("first_name", "First name"), ("last_name", "Last name"), ("email", "Email"),
                             ("company", "Company"), ("notes", "Notes")):
            hidden = (field in ("first_name", "last_name") and masking.name != "none") or (
                field == "email" and masking.email != "none")
            if hidden:
                continue
            widget = ui.textarea if field == "notes" else ui.input
            inputs[field] = widget(label, value=values.get(field) or "").props("outlined dense").classes(
                "w-full").mark(f"contact-{field}")
        target = ui.select(lists, value=lists[0], label="Contact list").props("outlined dense").classes(
            "w-full") if lists else None

        async def save() -> None:
            changes = {field: widget.value or "" for field, widget in inputs.items()}
            done = await context.attempt(context.services().contacts.save(
                self.desk.principal, self.interaction["id"], changes,  # type: ignore[index]
                target.value if target is not None else None))
            if done is not None:
                ui.notify("Contact saved.", type="positive")
                await self.show()

        with ui.row().classes("w-full justify-end"):
            if not lists:
                ui.button("Cancel", on_click=self.show).props("flat dense")
            ui.button("Save contact" if lists else "Save", on_click=save).props("unelevated dense").mark(
                "contact-save")

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
        ui.label("Routing history").classes("xc-muted text-xs pt-2")
        for step in interaction.get("history", [])[-20:]:
            who = ", ".join(step["agents"][:3]) + (f" +{len(step['agents']) - 3}" if len(step["agents"]) > 3 else "")
            ui.label(f"{_when(step['at'])[11:16]} {step['kind'].replace('_', ' ')}"
                     + (f" · {who}" if who else "") + (f" · {step['detail']}" if step["detail"] else "")).classes(
                "text-xs")

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

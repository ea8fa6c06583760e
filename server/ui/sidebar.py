"""The right sidebar of the open conversation (SPEC D8): the contact, the interaction's details, and the
customer's journey. Filled when a conversation is selected; only the visible tab's content is built."""
from __future__ import annotations

from html import escape
from typing import Any

from nicegui import ui

from server.domain.contact_fields import split_name
from server.domain.phone import readable_phone
from server.services import contact_card
from server.ui import context, notices
from server.ui.contact_editor import changed
from server.ui.dialogs import details_choices, details_editor
from server.ui.bubbles import header_html


class Sidebar:
    def __init__(self, desk: Any) -> None:
        self.desk = desk
        with ui.tabs().props("dense align=justify").classes("w-full").mark("sidebar-tabs") as self.tabs:
            ui.tab("contact", "Contact")
            ui.tab("details", "Details")
            ui.tab("journey", "Journey")
        self.body = ui.column().classes("w-full p-3 gap-2")
        self.interaction: dict[str, Any] | None = None
        self._generation = 0
        self.tabs.set_value("contact")
        self.tabs.on_value_change(self.show)

    async def set_interaction(self, interaction: dict[str, Any] | None) -> None:
        self.interaction = interaction
        await self.show()

    async def show(self) -> None:
        """Render the chosen tab; a later call (another tab, another conversation) wins over an earlier one
        still waiting for its data."""
        self._generation += 1
        self.body.clear()
        with self.body:
            if self.interaction is None:
                ui.label("Select a conversation to see its customer.").classes("xc-muted")
                return
            if self.tabs.value == "contact":
                await self._contact(self._generation)
            elif self.tabs.value == "details":
                self._details()
            else:
                await self._journey(self._generation)

    async def _contact(self, generation: int) -> None:
        interaction = self.interaction
        assert interaction is not None
        contact = interaction["contact"]
        card = await context.attempt(contact_card.card(context.services().contacts, self.desk.principal,
                                                         interaction["id"]))
        if card is None or generation != self._generation:  # another tab or conversation was chosen meanwhile
            return
        saved = card["contact"]
        name = " ".join(filter(None, [saved["first_name"], saved["last_name"]])) if saved else contact["name"]
        ui.html(header_html({"name": name or "Unknown customer", "phone": contact["phone"]}), sanitize=False)
        ui.button("Message", icon="chat", on_click=self.desk.focus_composer).props("flat dense no-caps")
        if saved is None and card["saved"]:
            ui.label("Saved in a contact list you may not see.").classes("xc-muted text-sm")
            return
        if saved is None:
            ui.label("Not saved in a contact list yet.").classes("xc-muted text-sm")
            if card["lists"]:
                first, last = split_name(name or "")
                ui.button("Save as contact", icon="person_add", on_click=lambda: self._new(
                    {"first_name": first, "last_name": last}, card["lists"], card["fields"])).props(
                    "flat dense no-caps").mark("contact-new")
            return
        phones = ", ".join(readable_phone(phone) for phone in saved["phones"])
        _fields(("List", saved["list"]), ("Phones", phones), ("Email", saved["email"]),
                ("Company", saved["company"]), ("Tags", ", ".join(saved["tags"])), ("Notes", saved["notes"]),
                *((f["label"], str(saved["fields"].get(f["name"], ""))) for f in saved["custom_fields"]))
        with ui.row().classes("gap-1"):
            if card["can_edit"]:
                ui.button("Edit", icon="edit", on_click=lambda: self._new(saved, [], card["fields"])).props(
                    "flat dense no-caps").mark("contact-edit")
            ui.link("Open in Contacts", f"/contacts/{saved['id']}", new_tab=True).classes(
                "text-sm self-center").mark("contact-open")

    def _new(self, values: dict[str, Any], lists: list[str], editable: list[str]) -> None:
        """The form, in place of the card (made only when asked for)."""
        self.body.clear()
        with self.body:
            self._contact_form(values, lists, editable)

    def _contact_form(self, values: dict[str, Any], lists: list[str], editable: list[str]) -> None:
        """The fields this user may write; with `lists`, it creates the contact in the chosen one."""
        inputs = {}
        for field, label in (("first_name", "First name"), ("last_name", "Last name"), ("email", "Email"),
                             ("company", "Company"), ("notes", "Notes")):
            if field not in editable:
                continue
            widget = ui.textarea if field == "notes" else ui.input
            inputs[field] = widget(label, value=values.get(field) or "").props("outlined dense").classes(
                "w-full").mark(f"contact-{field}")
        target = ui.select(lists, value=lists[0], label="Contact list").props("outlined dense").classes(
            "w-full") if lists else None

        def typed() -> dict[str, str]:
            return {field: widget.value or "" for field, widget in inputs.items()}

        baseline = {} if lists else typed()  # a new contact takes all that is typed, an edit only what changed

        async def save() -> None:
            changes = changed(typed(), baseline)
            if not (changes or lists):
                notices.tell("Nothing to save.")
                return
            done = await context.attempt(contact_card.save(
                context.services().contacts, self.desk.principal, self.interaction["id"], changes,  # type: ignore[index]
                target.value if target is not None else None))
            if done is not None:
                notices.tell("Contact saved.", kind="positive")
                await self.show()

        with ui.row().classes("w-full justify-end"):
            if not lists:
                ui.button("Cancel", on_click=self.show).props("flat dense")
            ui.button("Save contact" if lists else "Save", on_click=save).props("unelevated dense").mark(
                "contact-save")

    def _details(self) -> None:
        interaction = self.interaction
        assert interaction is not None
        _fields(("Account", interaction["account"]), ("Queue", interaction["queue"]),
                ("Created", _when(interaction["created_at"])), ("Accepted", _when(interaction["accepted_at"])),
                ("Status", interaction["status"]), ("Tags", ", ".join(interaction["tags"]) or "none"),
                ("Disposition", interaction["disposition"] or "none yet"),
                ("Routing history", "\n".join(_step(step) for step in interaction.get("history", [])[-20:])))
        ui.button("Edit tags and disposition", icon="sell", on_click=self._edit_details).props(
            "flat dense no-caps").mark("details-edit")

    async def _edit_details(self) -> None:
        interaction = self.interaction
        assert interaction is not None

        async def saved(view: dict[str, Any]) -> None:
            interaction.update(tags=view["tags"], disposition=view["disposition"])
            dialog.close()
            await self.show()

        choices = await details_choices()
        with context.dialog() as dialog, ui.card().classes("w-[380px]"):
            ui.label("Tags and disposition").classes("text-lg font-medium")
            details_editor(self.desk.principal, interaction, choices, saved)
        dialog.open()

    async def _journey(self, generation: int) -> None:
        interaction = self.interaction
        assert interaction is not None
        visits = await context.attempt(context.services().interactions.journey(self.desk.principal, interaction["id"]))
        if generation != self._generation:
            return
        show_journey(visits or [])


def show_journey(visits: list[dict[str, Any]]) -> None:
    """The customer's journey (`InteractionService.journey`), one labelled line per interaction (SPEC C6)."""
    _fields(*(("▶ This conversation" if visit["current"] else _when(visit["created_at"]),
               f"{visit['queue']} · {visit['agent'] or 'not answered'} · {visit['status']}"
               + (f" · {visit['disposition']}" if visit["disposition"] else "")) for visit in visits))


def _fields(*pairs: tuple[str, str | None]) -> None:
    """Labelled values as one element (the sidebar is built for every connected desk)."""
    ui.html("".join(f"<div class='xc-field'><div>{escape(label)}</div><div style='white-space:pre-wrap'>"
                    f"{escape(value or '—')}</div></div>" for label, value in pairs), sanitize=False).classes("w-full")


def _step(step: dict[str, Any]) -> str:
    agents = step["agents"]
    who = ", ".join(agents[:3]) + (f" +{len(agents) - 3}" if len(agents) > 3 else "")
    return " · ".join(filter(None, [_when(step["at"])[11:16], step["kind"].replace("_", " "), who, step["detail"]]))


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:16] + " UTC" if value else "—"

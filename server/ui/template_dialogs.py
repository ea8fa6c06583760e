"""The Templates page's dialogs (SPEC T3): create or edit a template with a live preview, delete it, submit
it to Meta with example values, link a Twilio Content SID. Each calls one service; a refusal is a notice
and the dialog stays open with what was typed."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import ui

from server.domain.templates import CATEGORIES, MAX_BUTTONS, preview, variable_count
from server.ui import context

if TYPE_CHECKING:
    from server.ui.templates_page import TemplatesPage


class Preview:
    """What the customer will read: header, body with the sample values filled in, footer, buttons."""

    def __init__(self) -> None:
        with ui.card().classes("xc-chat w-full p-3 gap-1"), ui.column().classes("xc-bubble xc-in w-full gap-1"):
            self.header = ui.label().classes("font-semibold").mark("template-preview-header")
            self.body = ui.label().classes("whitespace-pre-wrap").mark("template-preview")
            self.footer = ui.label().classes("xc-muted text-xs").mark("template-preview-footer")
            self.buttons = ui.row().classes("w-full gap-1")

    def show(self, header: str, body: str, samples: list[str], footer: str = "", buttons: list[str] | None = None
             ) -> None:
        self.header.set_text(header)
        self.header.set_visibility(bool(header))
        self.body.set_text(preview(body, samples))
        self.footer.set_text(footer)
        self.footer.set_visibility(bool(footer))
        self.buttons.clear()
        with self.buttons:
            for text in buttons or []:
                ui.chip(text, color="white", text_color="primary").props("dense outline")


class Samples:
    """One input per variable of the body, kept as the body gains or loses variables."""

    def __init__(self, marker: str, on_change: Any) -> None:
        self.marker, self.on_change = marker, on_change
        self.column = ui.column().classes("w-full gap-1")
        self.inputs: list[ui.input] = []

    @property
    def values(self) -> list[str]:
        return [field.value or "" for field in self.inputs]

    def follow(self, body: str) -> None:
        count = variable_count(body)
        if count == len(self.inputs):
            return
        kept = self.values
        self.column.clear()
        with self.column:
            self.inputs = [ui.input(f"Sample for {{{{{n}}}}}", value=kept[n - 1] if n <= len(kept) else "",
                                    on_change=self.on_change).props("outlined dense").classes("w-full").mark(
                f"{self.marker}-{n}") for n in range(1, count + 1)]


class TemplateForm:
    def __init__(self, template: dict[str, Any] | None) -> None:
        self.original = template or {}
        given = self.original
        with ui.row().classes("w-full no-wrap gap-4 items-start"):
            with ui.column().classes("w-1/2 gap-2"):
                self.name = self._input("Name (lowercase, digits, _)", given.get("name", ""), "template-name")
                with ui.row().classes("w-full no-wrap gap-2"):
                    self.language = self._input("Language", given.get("language", "en"), "template-language")
                    self.category = ui.select({c: c.capitalize() for c in CATEGORIES}, label="Category",
                                              value=given.get("category", "utility")).props(
                        "outlined dense").classes("w-full").mark("template-category")
                self.header = self._input("Header (optional)", given.get("header", ""), "template-header")
                self.body = ui.textarea("Body: {{1}}, {{2}}, ... for variables", value=given.get("body", ""),
                                        on_change=self.refresh).props("outlined dense autogrow").classes(
                    "w-full").mark("template-body")
                self.footer = self._input("Footer (optional)", given.get("footer", ""), "template-footer")
                buttons = list(given.get("buttons", []))
                self.buttons = [self._input(f"Quick reply {n}", buttons[n - 1] if n <= len(buttons) else "",
                                            f"template-button-{n}") for n in range(1, MAX_BUTTONS + 1)]
                self.available = ui.switch("Available for agents", value=given.get("available_for_agents", True)
                                           ).mark("template-agents")
            with ui.column().classes("w-1/2 gap-2"):
                ui.label("Preview").classes("font-medium")
                self.preview = Preview()
                ui.label("Sample values (only for the preview)").classes("xc-muted text-sm")
                self.samples = Samples("template-sample", self.refresh)
        self.refresh()

    def _input(self, label: str, value: str, marker: str) -> ui.input:
        return ui.input(label, value=value, on_change=self.refresh).props("outlined dense").classes("w-full").mark(
            marker)

    def values(self) -> dict[str, Any]:
        return {"name": self.name.value or "", "language": self.language.value or "",
                "category": self.category.value, "header": self.header.value or "", "body": self.body.value or "",
                "footer": self.footer.value or "", "available_for_agents": bool(self.available.value),
                "buttons": [b.value.strip() for b in self.buttons if (b.value or "").strip()]}

    def changes(self) -> dict[str, Any]:
        """For a new template everything; for an existing one only what the user changed."""
        values = self.values()
        if not self.original:
            return values
        return {key: value for key, value in values.items() if value != self.original.get(key)}

    def refresh(self) -> None:
        if not hasattr(self, "samples"):  # still being built
            return
        values = self.values()
        self.samples.follow(values["body"])
        self.preview.show(values["header"], values["body"], self.samples.values, values["footer"],
                          values["buttons"])


async def edit_dialog(page: TemplatesPage, template: dict[str, Any] | None) -> None:
    with context.dialog() as dialog, ui.card().classes("w-[900px] max-w-[95vw]"):
        ui.label(f"Edit {template['name']}" if template else "New template").classes("text-lg font-medium")
        form = TemplateForm(template)

        async def save() -> None:
            if template is None:
                done = await context.attempt(page.service.create(page.principal, form.changes()))
            else:
                changes = form.changes()
                if not changes:
                    ui.notify("Nothing to save.")
                    return
                done = await context.attempt(page.service.update(page.principal, template["id"], changes))
            if done is None:
                return
            ui.notify(f"Template {done['name']} saved.", type="positive")
            dialog.close()
            await page.load()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Save", on_click=save).props("unelevated").mark("template-save")
    dialog.open()


async def delete_dialog(page: TemplatesPage, template: dict[str, Any]) -> None:
    with context.dialog() as dialog, ui.card().classes("w-[480px] max-w-[95vw]"):
        ui.label(f"Delete the template {template['name']}?").classes("text-lg font-medium")
        ui.label("Agents can no longer send it; what Meta or Twilio approved stays with them.").classes(
            "xc-muted text-sm")

        async def deleted() -> bool:
            await page.service.delete(page.principal, template["id"])
            return True

        async def delete() -> None:
            if not await context.attempt(deleted()):
                return
            ui.notify(f"Template {template['name']} deleted.", type="positive")
            dialog.close()
            await page.load()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Delete", on_click=delete).props("unelevated color=negative").mark("template-delete-confirm")
    dialog.open()


async def submit_dialog(page: TemplatesPage, template: dict[str, Any]) -> None:
    """To Meta's review on one Meta account, with an example value per variable (Meta's reviewers read them)."""
    accounts = page.meta_accounts
    with context.dialog() as dialog, ui.card().classes("w-[560px] max-w-[95vw]"):
        ui.label(f"Submit {template['name']} to Meta").classes("text-lg font-medium")
        account = ui.select(accounts, value=accounts[0] if accounts else None, label="Meta account").props(
            "outlined dense").classes("w-full").mark("submit-account")
        shown = Preview()
        examples: Samples = Samples("submit-example", lambda: shown.show(template["header"], template["body"],
                                                                          examples.values, template["footer"],
                                                                          template["buttons"]))
        examples.follow(template["body"])
        examples.on_change()

        async def submit() -> None:
            done = await context.attempt(page.service.submit_meta(page.principal, template["id"], account.value,
                                                                   examples.values))
            if done is None:
                return
            status = done["statuses"].get(account.value, {}).get("status", "")
            ui.notify(f"{template['name']} submitted to Meta ({account.value}): {status}.", type="positive")
            dialog.close()
            await page.load()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Submit", on_click=submit).props("unelevated").mark("submit-confirm")
    dialog.open()


async def content_sid_dialog(page: TemplatesPage, template: dict[str, Any]) -> None:
    """The Twilio Content SID the template is sent by on one Twilio account; empty removes it."""
    accounts = page.twilio_accounts
    with context.dialog() as dialog, ui.card().classes("w-[480px] max-w-[95vw]"):
        ui.label(f"Twilio Content SID of {template['name']}").classes("text-lg font-medium")
        account = ui.select(accounts, value=accounts[0] if accounts else None, label="Twilio account").props(
            "outlined dense").classes("w-full").mark("sid-account")
        sid = ui.input("Content SID (HX...)", value=template["provider_ids"].get(account.value, "")).props(
            "outlined dense").classes("w-full").mark("sid-value")
        account.on_value_change(lambda: sid.set_value(template["provider_ids"].get(account.value, "")))

        async def save() -> None:
            done = await context.attempt(page.service.set_content_sid(page.principal, template["id"],
                                                                      account.value, sid.value))
            if done is None:
                return
            ui.notify(f"Content SID of {template['name']} on {account.value} saved.", type="positive")
            dialog.close()
            await page.load()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Save", on_click=save).props("unelevated").mark("sid-save")
    dialog.open()

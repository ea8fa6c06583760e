"""The desk's "+": a new conversation the agent starts (SPEC T4). The number is checked first; the dialog
then offers what the case allows: a template (the number is not a contact yet, or the window closed) or
free text (the window is open). The rules and the refusals are the outbound service's."""
from __future__ import annotations

from typing import Any

from nicegui import ui

from server.domain.phone import readable_phone
from server.ui import context, notices
from server.ui.dialogs import TemplatePicker


async def new_conversation_dialog(desk: Any, phone: str = "") -> None:
    """`phone`: the number to fill in (from a contact's page), checked when the agent asks."""
    services = context.services()
    accounts = await services.outbound.accounts(desk.principal)
    templates = await services.catalog.agent_templates()
    if not accounts:
        notices.tell("No account is routed to your queues.", kind="warning")
        return
    with context.dialog() as dialog, ui.card().classes("w-[520px]"):
        ui.label("New conversation").classes("text-lg font-medium")
        with ui.row().classes("w-full items-end no-wrap gap-2"):
            account = ui.select(accounts, value=accounts[0], label="From account").props("outlined dense").classes(
                "w-[170px]").mark("outbound-account")
            number = ui.input("Customer's number", value=readable_phone(phone) if phone else "",
                              placeholder="+39 333 123 4567").props("outlined dense").classes(
                "flex-grow").mark("outbound-phone")
            ui.button("Check", on_click=lambda: check()).props("unelevated").mark("outbound-check")
        body = ui.column().classes("w-full gap-2")

        async def check() -> None:
            found = await context.attempt(services.outbound.check(desk.principal, account.value, number.value or ""))
            body.clear()
            if found is None:
                return
            with body:
                ui.label(found["reason"]).classes("text-sm").mark("outbound-reason")
                if found["case"] == "free_text":
                    text = ui.textarea(placeholder="Type a message").props("outlined dense autogrow").classes(
                        "w-full").mark("outbound-text")
                    ui.button("Send", icon="send", on_click=lambda: start({"text": text.value or ""})).props(
                        "unelevated").mark("outbound-send")
                elif templates:
                    picker = TemplatePicker(templates)
                    ui.button("Send template", icon="send", on_click=lambda: start(
                        {"template": picker.name, "variables": picker.variables})).props("unelevated").mark(
                        "outbound-send")
                else:
                    ui.label("No template is available to agents: ask an administrator.").classes("text-negative")

        async def start(content: dict[str, Any]) -> None:
            opened = await context.attempt(services.outbound.start(
                desk.principal, {"account": account.value, "phone": number.value or "", **content}))
            if opened is not None:
                dialog.close()
                await desk.open_started(opened["interaction"]["id"])

        number.on("keydown.enter", check)
    dialog.open()

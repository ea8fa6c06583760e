"""The chat's dialogs: transfer (SPEC R7, D9), close and close & dispose (R10, D9), send a template (T2, T3);
an interaction's tags and disposition (C6)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from server.domain.templates import preview, variable_count
from server.ui import context, notices


class _Choice(ui.select):
    """A select that lists its `unavailable` options but does not let them be chosen (Quasar's disabled
    options; kept whenever NiceGUI rebuilds the options)."""

    def __init__(self, options: dict[str, str], unavailable: set[str], **kwargs: Any) -> None:
        self._unavailable = unavailable
        super().__init__(options, **kwargs)

    def _update_options(self) -> None:
        super()._update_options()
        self._props["options"] = [{**option, "disable": value in self._unavailable}
                                  for option, value in zip(self._props["options"], self._values)]


def _online(count: int) -> str:
    return f"{count} online" if count else "nobody online"


async def transfer_dialog(chat: Any) -> None:
    targets = await context.attempt(context.services().interactions.transfer_targets(chat.principal, chat.id))
    if targets is None:
        return
    if not targets["agents"] and not any(q["agents_online"] for q in targets["queues"]):
        notices.tell("Nobody can take a transfer right now: no other agent is online.", kind="warning")
        return
    names = {f"agent:{a['username']}": a["name"] for a in targets["agents"]}
    names |= {f"queue:{q['name']}": f"queue {q['name']}" for q in targets["queues"]}
    options = {f"agent:{a['username']}": f"👤 {a['name']}" for a in targets["agents"]}
    options |= {f"queue:{q['name']}": f"👥 Queue {q['name']} · {_online(q['agents_online'])}"
                for q in targets["queues"]}
    nobody = {f"queue:{q['name']}" for q in targets["queues"] if not q["agents_online"]}
    with context.dialog() as dialog, ui.card().classes("w-[420px]"):
        ui.label("Transfer the conversation").classes("text-lg font-medium")
        ui.label("Online agents, and the queues you may transfer to (with how many of their agents are online)."
                 ).classes("xc-muted text-sm")
        choice = _Choice(options, nobody, label="Transfer to").props("outlined dense").classes("w-full").mark(
            "transfer-target")
        why = ui.input("Why? (optional)").props("outlined dense maxlength=200 counter").classes("w-full").mark(
            "transfer-note")

        async def transfer() -> None:
            if not choice.value:
                notices.tell("Choose an agent or a queue.", kind="warning")
                return
            kind, _, name = str(choice.value).partition(":")
            done = await context.attempt(context.services().interactions.transfer(
                chat.principal, chat.id, **{kind: name}, note=why.value))
            if done is None:
                return
            if done["status"] == "pending":  # otherwise the desk tells that it came back (TransferFailed)
                notices.tell(f"Transfer offered to {names[choice.value]}; it stays with you until accepted.",
                             key=f"conversation-{chat.id}")
            dialog.close()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Transfer", on_click=transfer).props("unelevated").mark("transfer-confirm")
    dialog.open()


async def close_dialog(chat: Any, *, dispose: bool) -> None:
    dispositions = await context.services().catalog.dispositions() if dispose else []
    with context.dialog() as dialog, ui.card().classes("w-[400px]"):
        ui.label("Close & Dispose" if dispose else "Close the conversation?").classes("text-lg font-medium")
        ui.label("The customer's next message will start a new conversation.").classes("xc-muted text-sm")
        choice = ui.select(dispositions, label="Disposition").props("outlined dense").classes("w-full").mark(
            "disposition") if dispose else None

        async def close() -> None:
            if choice is not None and not choice.value:
                notices.tell("Choose a disposition.", kind="warning")
                return
            done = await context.attempt(context.services().interactions.close(
                chat.principal, chat.id, choice.value if choice is not None else None))
            if done is not None and not dialog.is_deleted:  # closing removes the chat, and the dialog with it
                dialog.close()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Close & Dispose" if dispose else "Close", on_click=close).props(
                "unelevated color=negative").mark("close-confirm")
    dialog.open()


class TemplatePicker:
    """A template to send, its variables and the live preview of what the customer will read (SPEC T3)."""

    def __init__(self, templates: list[dict[str, Any]]) -> None:
        self.by_name = {t["name"]: t for t in templates}
        self.choice = ui.select(list(self.by_name), label="Template", value=templates[0]["name"]).props(
            "outlined dense").classes("w-full").mark("template-choice")
        self.preview = ui.label().classes("xc-card p-3 w-full whitespace-pre-wrap").mark("template-preview")
        self.fields = ui.column().classes("w-full gap-1")
        self.inputs: list[ui.input] = []
        self.choice.on_value_change(self._show)
        self._show()

    @property
    def name(self) -> str:
        return str(self.choice.value)

    @property
    def variables(self) -> list[str]:
        return [field.value or "" for field in self.inputs]

    def _show(self) -> None:
        self.fields.clear()
        self.inputs.clear()
        with self.fields:
            for number in range(1, variable_count(self.by_name[self.name]["body"]) + 1):
                self.inputs.append(ui.input(f"Variable {{{{{number}}}}}", on_change=self._render).props(
                    "outlined dense").classes("w-full").mark("template-variable"))
        self._render()

    def _render(self) -> None:
        self.preview.set_text(preview(self.by_name[self.name]["body"], self.variables))


async def template_dialog(chat: Any) -> None:
    templates = await context.services().catalog.agent_templates()
    if not templates:
        notices.tell("No template is available to agents.", kind="warning")
        return
    with context.dialog() as dialog, ui.card().classes("w-[480px]"):
        ui.label("Send a template").classes("text-lg font-medium")
        picker = TemplatePicker(templates)

        async def send() -> None:
            done = await context.attempt(context.services().interactions.send_template(
                chat.principal, chat.id, picker.name, picker.variables))
            if done is not None:
                dialog.close()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Send template", on_click=send).props("unelevated").mark("template-send")
    dialog.open()


async def details_choices() -> tuple[list[str], list[str]]:
    """The tags and dispositions `details_editor` offers: fetched before a dialog is built, so that nothing
    awaits while its elements are being made."""
    services = context.services()
    return (await services.catalog.filter_choices())["tags"], await services.catalog.dispositions()


def details_editor(principal: Any, interaction: dict[str, Any], choices: tuple[list[str], list[str]],
                   on_saved: Callable[[dict[str, Any]], Any] | None = None) -> None:
    """An interaction's tags and disposition, in the current container, for whoever may read it (SPEC C6):
    the rule is the service's. `on_saved` gets the interaction as saved."""
    services = context.services()
    tag_names, dispositions = choices
    tags = ui.select(tag_names, multiple=True, value=interaction["tags"], label="Tags").props(
        "outlined dense use-chips").classes("w-full").mark("edit-tags")
    disposition = ui.select({"": "None", **{d: d for d in dispositions}}, value=interaction["disposition"] or "",
                            label="Disposition").props("outlined dense").classes("w-full").mark("edit-disposition")

    async def save() -> None:
        saved = await context.attempt(services.interactions.edit(
            principal, interaction["id"], {"tags": tags.value or [], "disposition": disposition.value}))
        if saved is not None:
            notices.tell("Saved.", kind="positive")
            if on_saved is not None:
                await on_saved(saved)

    ui.button("Save tags and disposition", on_click=save).props("flat dense no-caps").mark("edit-save")

"""Silent monitoring (SPEC S2): a supervisor watches a live interaction read-only as messages arrive, and
writes notes that only its owner sees, or takes it from its agent back into its queue. Nothing here marks anything
read or reaches the customer: the page reads through the same services as everyone."""
from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.domain.events import (Event, InteractionOwned, InteractionPlaced, InteractionReleased, MessageAdded,
                                  MessageChanged, MessageStatusChanged)
from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import admin_door
from server.ui.bubbles import bubble_classes, bubble_html, file_url, header_html

BOTTOM = 10**9
SHOWN = 100  # the latest messages shown when the page opens
FORBIDDEN = "Only supervisors and administrators can watch interactions."


async def monitor_page(interaction_id: int) -> RedirectResponse | None:
    principal = await admin_door(f"/supervisor/interactions/{interaction_id}", forbidden=FORBIDDEN,
                                 marker="monitor-forbidden", roles=("admin", "supervisor"))
    if not isinstance(principal, Principal):
        return principal
    view = await context.attempt(context.services().interactions.get(principal, interaction_id))
    if view is None:
        with ui.card().classes("xc-card m-6 p-6"):
            ui.label(f"There is no interaction {interaction_id}.").mark("monitor-missing")
        return None
    await MonitorView(principal, view).build()
    return None


class MonitorView:
    def __init__(self, principal: Principal, interaction: dict[str, Any]) -> None:
        self.principal = principal
        self.interaction = interaction
        self.id: int = interaction["id"]
        self.service = context.services().interactions
        self.bubbles: dict[int, ui.html] = {}

    async def build(self) -> None:
        with ui.column().classes("w-full max-w-4xl mx-auto p-4 gap-2"):
            with ui.row().classes("w-full items-center xc-card px-4 py-2 no-wrap"):
                ui.html(header_html(self.interaction["contact"], self.interaction), sanitize=False).classes(
                    "flex-grow")
                self.owner = ui.label().classes("xc-muted").mark("monitor-owner")
                ui.badge("Watching silently", color="info").mark("monitor-badge")
            self.scroll = ui.scroll_area().classes("xc-chat w-full h-[60vh] rounded")
            with self.scroll:
                self.list = ui.column().classes("w-full gap-2 px-4 py-2").mark("monitor-messages")
            self.closed = ui.label("This interaction is closed.").classes("text-negative").mark("monitor-closed")
            self.closed.set_visibility(self.interaction["status"] != "open")
            with ui.row().classes("w-full items-end gap-2 no-wrap") as self.note_row:
                self.note = ui.textarea(placeholder="A note for the agent only; the customer never sees it").props(
                    "outlined autogrow dense").classes("flex-grow").mark("monitor-note")
                ui.button("Note to agent", icon="sticky_note_2", on_click=self._send_note).props(
                    "no-caps").mark("monitor-send-note")
                self.return_button = ui.button("Return to queue", icon="undo", on_click=self._return).props(
                    "flat no-caps color=negative").mark("monitor-return")
                self.return_button.tooltip("Take it from its agent: it waits in its queue and is offered again")
            self.note_row.set_visibility(self.interaction["status"] == "open")
            self._show_owner()
        # Subscribed before loading: a message stored meanwhile is neither missed nor shown twice.
        context.subscribe(f"interaction:{self.id}", self._on_message_event)
        context.subscribe("board", self._on_board_event)
        for message in await self.service.messages(self.principal, self.id, limit=SHOWN):
            self._add(message)
        self.scroll.scroll_to(pixels=BOTTOM)

    def _show_owner(self) -> None:
        owner = self.interaction.get("owner")
        self.owner.text = f"Owner: {owner}" if owner else "Waiting in the queue"
        self.return_button.set_visibility(owner is not None)

    def _add(self, message: dict[str, Any]) -> None:
        if message["id"] in self.bubbles:
            return
        with self.list:
            self.bubbles[message["id"]] = ui.html(bubble_html(message, file_url(message)), sanitize=False).classes(
                bubble_classes(message)).mark(f"message-{message['direction']}")

    def _on_message_event(self, event: Event) -> None:
        if isinstance(event, (MessageAdded, MessageStatusChanged, MessageChanged)):
            context.run(self._show(event.message_id, not isinstance(event, MessageAdded)))
        elif isinstance(event, InteractionOwned):  # accepted, or transferred to another agent
            self.interaction["owner"] = event.agent
            self._show_owner()
        elif isinstance(event, InteractionReleased) and event.reason == "returned":
            self.interaction["owner"] = None
            self._show_owner()

    def _on_board_event(self, event: Event) -> None:
        if isinstance(event, InteractionPlaced) and event.interaction_id == self.id and not event.open:
            self.closed.set_visibility(True)
            self.note_row.set_visibility(False)

    async def _show(self, message_id: int, changed: bool) -> None:
        message = await self.service.message(self.principal, self.id, message_id)
        if message is None:
            return
        if changed and message_id in self.bubbles:
            self.bubbles[message_id].set_content(bubble_html(message, file_url(message)))
            self.bubbles[message_id].classes(replace=bubble_classes(message))
            return
        self._add(message)
        self.scroll.scroll_to(pixels=BOTTOM)

    async def _return(self) -> None:
        done = await context.attempt(self.service.return_to_queue(self.principal, self.id))
        if done is not None:
            agent = await context.services().agents.display_name(done["returned_from"])
            ui.notify(f"Back in the queue {done['queue']}: {agent} no longer has it.", type="positive")
            self.interaction["owner"] = None
            self._show_owner()

    async def _send_note(self) -> None:
        text = self.note.value or ""
        sent = await context.attempt(self.service.add_supervisor_note(self.principal, self.id, text))
        if sent is not None:
            self.note.value = ""
            self._add(sent)
            self.scroll.scroll_to(pixels=BOTTOM)

"""The customer simulator page (SPEC W6): a phone on which an administrator plays a WhatsApp customer of a
sandbox account (while the simulator is switched on in Settings). Live through the event hub; nothing polls."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.domain.events import Event, MessageAdded, MessageStatusChanged
from server.domain.phone import readable_phone
from server.errors import ProductError
from server.services.auth import Principal
from server.services.simulator import random_customer_phone
from server.ui import context
from server.ui.admin_kit import forbidden_card
from server.ui.theme import apply_theme

SHOWN = 50  # messages on the phone at most
# The theme's bubbles are drawn for the agent; on the customer's phone the sides swap.
SIDE = {"in": "xc-out", "out": "xc-in"}
TICKS = {"queued": ("🕓", ""), "sent": ("✓", ""), "delivered": ("✓✓", ""), "read": ("✓✓", "xc-sim-read"),
         "played": ("✓✓", "xc-sim-read"), "failed": ("⚠ not delivered", "xc-sim-failed")}
READ = ("read", "played")

CSS = """
.xc-sim-phone { width: 380px; height: min(720px, calc(100vh - 24px)); border-radius: 38px; background: #1f2329;
                padding: 12px; box-shadow: 0 12px 40px rgba(16, 24, 40, .25); }
.xc-sim-screen { width: 100%; height: 100%; border-radius: 28px; overflow: hidden; display: flex;
                 flex-direction: column; }
.xc-sim-header { background: #075E54; color: white; padding: 14px 14px 10px; display: flex; gap: 10px;
                 align-items: center; }
.xc-sim-avatar { width: 38px; height: 38px; border-radius: 50%; background: #dfe5e7; color: #54656f;
                 display: flex; align-items: center; justify-content: center; font-weight: 600; }
.xc-sim-scroll { flex: 1; overflow-y: auto; display: flex; flex-direction: column-reverse; }
.xc-sim-messages { display: flex; flex-direction: column; gap: 4px; padding: 10px; }
.xc-sim-composer { background: #f0f2f5; padding: 6px 8px; display: flex; gap: 6px; align-items: center; }
.xc-sim-empty { align-self: center; background: #fff8c5; color: #54656f; font-size: 12px; border-radius: 8px;
                padding: 4px 10px; margin: 6px 0; }
.xc-sim-read { color: #53bdeb; }
.xc-sim-failed { color: #d92d20; }
"""


async def simulator_page() -> RedirectResponse | None:
    principal = await context.page_principal()
    if principal is None:
        return RedirectResponse("/login?next_path=/simulator")
    apply_theme()
    service = context.services().simulator
    try:
        accounts = await service.accounts(principal)
    except ProductError as refusal:
        forbidden_card(refusal.message, "simulator-forbidden")
        return None
    ui.add_css(CSS)
    phone = CustomerPhone(principal, accounts)
    phone.build()
    await phone.load()
    return None


def _time(value: str | None) -> str:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone().strftime("%H:%M") if value else ""


class CustomerPhone:
    """One browser tab's customer: the controls above the phone, the chat, and its live subscriptions."""

    def __init__(self, principal: Principal, accounts: list[str]) -> None:
        self.principal = principal
        self.service = context.services().simulator
        self.accounts = accounts
        self.customer: tuple[str, str] = ("", "")  # (account, phone as typed) whose chat is on screen
        self.bubbles: dict[int, ui.element] = {}
        self.ticks: dict[int, ui.label] = {}
        self.delivered: set[int] = set()  # agent messages on this phone
        self.reported: set[int] = set()  # ... of which it reported "delivered" itself
        self.unread: set[int] = set()  # ... not yet reported read
        self.subscriptions: dict[int, Callable[[], None]] = {}

    # ----- layout

    def build(self) -> None:
        with ui.column().classes("w-full items-center gap-3 py-4"):
            self._build_controls()
            with ui.element("div").classes("xc-sim-phone"), ui.element("div").classes("xc-sim-screen"):
                self._build_header()
                with ui.element("div").classes("xc-sim-scroll xc-chat"):
                    self.chat = ui.element("div").classes("xc-sim-messages")
                self._build_composer()
        self._show_customer()

    def _build_controls(self) -> None:
        with ui.row().classes("w-[380px] items-center justify-between"):
            ui.label("Customer simulator").classes("text-lg font-semibold text-secondary")
            ui.link("Back to the desk", "/").classes("text-sm")
        with ui.card().classes("xc-card w-[380px] p-3 gap-2"):
            if not self.accounts:
                ui.label("There is no sandbox account yet: an administrator can add one "
                         "(provider: sandbox).").classes("text-warning text-sm")
            with ui.row().classes("w-full no-wrap gap-2"):
                self.account_select = ui.select(self.accounts, value=self.accounts[0] if self.accounts else None,
                                                label="Sandbox account", on_change=self.load)
                self.account_select.props("outlined dense").classes("w-[45%]")
                self.number_input = ui.input("Customer's number", value=random_customer_phone())
                self.number_input.props("outlined dense").classes("flex-1")
                self.number_input.on("blur", self.load).on("keydown.enter", self.load)
                self.number_input.on_value_change(self._show_customer)
            with ui.row().classes("w-full no-wrap items-center gap-2"):
                self.name_input = ui.input("Customer's name").props("outlined dense maxlength=128")
                self.name_input.classes("flex-1").on_value_change(self._show_customer)
                ui.button("New customer", icon="person_add", on_click=self.new_customer).props("flat dense no-caps")

    def _build_header(self) -> None:
        with ui.element("div").classes("xc-sim-header"):
            self.avatar = ui.label().classes("xc-sim-avatar")
            with ui.column().classes("gap-0 min-w-0"):
                self.title = ui.label().classes("text-base font-medium truncate")
                self.subtitle = ui.label().classes("text-xs opacity-80 truncate")

    def _build_composer(self) -> None:
        with ui.element("div").classes("xc-sim-composer"):
            self.text_input = ui.input(placeholder="Message").mark("sim-text")
            self.text_input.props("rounded outlined dense bg-color=white maxlength=4096")
            self.text_input.classes("flex-1").on("keydown.enter", self.send).on("keydown", self.typed, throttle=0.5)
            ui.button(icon="send", on_click=self.send).props("round unelevated dense").classes("w-10 h-10").mark(
                "sim-send")

    def _show_customer(self) -> None:
        name, number = (self.name_input.value or "").strip(), (self.number_input.value or "").strip()
        self.avatar.set_text((name or "#")[0].upper())
        self.title.set_text(name or readable_phone(number) or "Customer")
        via = f"writing to {self.account_select.value}" if self.account_select.value else "no sandbox account"
        self.subtitle.set_text(f"{readable_phone(number)} · {via}" if name else via)

    # ----- actions

    async def new_customer(self) -> None:
        self.number_input.set_value(random_customer_phone())
        self.name_input.set_value("")
        await self.load()

    async def load(self) -> None:
        """Show the conversation of the customer now chosen above the phone (if it changed)."""
        chosen = (self.account_select.value or "", (self.number_input.value or "").strip())
        if chosen == self.customer:
            return
        self._reset(chosen)
        self._show_customer()
        if chosen[0] and chosen[1]:
            await self.refresh()

    async def send(self) -> None:
        text = self.text_input.value or ""
        chosen = (self.account_select.value or "", (self.number_input.value or "").strip())
        self.text_input.set_value("")
        sent = await context.attempt(self.service.send(self.principal, *chosen, text, self.name_input.value or ""))
        if sent is None:
            self.text_input.set_value(text)
            return
        await self._report_read()
        if chosen != self.customer:
            self._reset(chosen)
        self._subscribe(sent["interaction_id"])
        await self.refresh()

    async def typed(self) -> None:
        """The customer is looking at the chat: what the agent wrote has been read."""
        await self._report_read()

    async def refresh(self) -> None:
        """Bring the chat up to date with the stored conversation (new messages, moved ticks)."""
        account, number = self.customer
        found = await context.attempt(self.service.conversation(self.principal, account, number, SHOWN))
        if found is None or self.customer != (account, number):
            return
        interaction_id, messages = found
        self._subscribe(interaction_id)
        for message in messages:
            if message["id"] in self.bubbles:
                self._set_tick(message["id"], message["status"])
            else:
                self._add_bubble(message)
        self._trim()
        await self._track([(m["id"], m["status"]) for m in messages if m["direction"] == "out"])

    # ----- chat

    def _reset(self, customer: tuple[str, str]) -> None:
        for unsubscribe in self.subscriptions.values():
            unsubscribe()
        self.subscriptions.clear()
        self.chat.clear()
        self.bubbles.clear()
        self.ticks.clear()
        self.delivered.clear()
        self.reported.clear()
        self.unread.clear()
        self.customer = customer
        with self.chat:
            ui.label("🔒 Sandbox: messages stay on this server.").classes("xc-sim-empty")

    def _add_bubble(self, message: dict[str, Any]) -> None:
        with self.chat:
            with ui.element("div").classes(f"xc-bubble {SIDE[message['direction']]}").mark(
                    f"sim-{message['direction']}") as bubble:
                file = message["attachment"]
                if file is not None:
                    ui.label(f"📎 {file['filename']}").classes("font-medium")
                if message["text"]:
                    ui.label(message["text"])
                with ui.element("div").classes("xc-meta"):
                    ui.label(_time(message["created_at"])).classes("inline")
                    if message["direction"] == "out":
                        self.ticks[message["id"]] = ui.label().classes("inline ml-1")
        self.bubbles[message["id"]] = bubble
        self._set_tick(message["id"], message["status"])

    def _set_tick(self, message_id: int, status: str) -> None:
        tick = self.ticks.get(message_id)
        if tick is None:
            return
        text, style = TICKS.get(status, ("", ""))
        tick.set_text(text)
        tick.classes(replace=f"inline ml-1 {style}")
        self.bubbles[message_id].classes(add="xc-failed" if status == "failed" else None)

    def _trim(self) -> None:
        for message_id in list(self.bubbles)[:-SHOWN]:
            self.chat.remove(self.bubbles.pop(message_id))
            self.ticks.pop(message_id, None)

    # ----- live

    def _subscribe(self, interaction_id: int | None) -> None:
        if interaction_id is not None and interaction_id not in self.subscriptions:
            self.subscriptions[interaction_id] = context.subscribe(f"interaction:{interaction_id}", self._on_event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, MessageAdded) and event.direction in ("in", "out"):
            context.run(self.refresh())
        elif isinstance(event, MessageStatusChanged) and event.message_id in self.bubbles:
            self._set_tick(event.message_id, event.status)
            context.run(self._track([(event.message_id, event.status)]))

    async def _track(self, statuses: list[tuple[int, str]]) -> None:
        """The phone receives what the agent sent: a message sent to it is reported delivered at once (and
        then waits to be read); one already delivered or read is only remembered."""
        for message_id, status in statuses:
            if status in READ:
                self.delivered.add(message_id)
                self.unread.discard(message_id)
            elif status in ("sent", "delivered") and message_id not in self.delivered:
                self.delivered.add(message_id)
                self.unread.add(message_id)
        arrived = [i for i, status in statuses if status == "sent" and i not in self.reported]
        if arrived:
            self.reported.update(arrived)
            await context.attempt(self.service.mark_seen(self.principal, self.customer[0], arrived, "delivered"))

    async def _report_read(self) -> None:
        if not self.unread:
            return
        seen = sorted(self.unread)
        self.unread.clear()
        await context.attempt(self.service.mark_seen(self.principal, self.customer[0], seen, "read"))

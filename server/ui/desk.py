"""The agent desktop (SPEC D1-D10): state, queues with live waiting counts, offers, one tab per open
interaction with its unread badge, the open conversation, and its sidebar.

Live state comes from the agent's actor events (topic `agent:<username>`) and the queues' (`queue:<name>`);
nothing is polled. Only the selected conversation is built; the other tabs are headers.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.domain.events import (AgentStateChanged, Event, InteractionOwned, InteractionReleased, OfferGone,
                                  OfferShown, QueueChanged, TransferFailed, UnreadChanged)
from server.services.auth import Principal
from server.ui import context, notices
from server.ui.bubbles import customer_label
from server.ui.chat import ChatView
from server.ui.offers import OfferPanel
from server.ui.outbound_dialog import new_conversation_dialog
from server.ui.sidebar import Sidebar
from server.ui.sound import install_sound
from server.ui.theme import apply_theme
from server.ui.waiting import WaitingList

PAUSE_REASONS = ("Break", "Lunch", "Meeting", "Training", "After-call work")
STATES = {"online": "🟢 Online", "paused": "🟡 Paused", "offline": "⚪ Offline"}


async def desk_page(new: str = "") -> RedirectResponse | None:
    """`?new=<number>` (a contact's "Send a WhatsApp"): the new-conversation dialog opens with it filled in."""
    principal = await context.page_principal()
    if principal is None:
        return RedirectResponse("/login")
    apply_theme()
    desk = Desk(principal)
    await desk.build()
    if new and desk.services.system.desk(principal.username) is not None:
        await new_conversation_dialog(desk, phone=new)
    return None


@dataclass
class Tab:
    row: ui.row
    name: ui.label
    badge: ui.badge


class Desk:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.services = context.services()
        self.tabs: dict[int, Tab] = {}
        self.selected: int | None = None
        self.chat: ChatView | None = None
        self._selecting = asyncio.Lock()
        # Tabs being added (their interaction read): an unread count told meanwhile is newer than what was read.
        self._adding: Counter[int] = Counter()
        self._unread_told: dict[int, int] = {}
        self._known_state = "offline"

    async def build(self) -> None:
        me = await self.services.agents.me(self.principal)
        queues = await self.services.agents.queues(self.principal)
        ui.query(".nicegui-content").classes("p-0 gap-0")
        self._header(me, queues)
        has_desk = self.services.system.desk(self.principal.username) is not None
        with ui.left_drawer(value=True, fixed=True, bordered=True).props("width=300").classes("bg-white p-2"):
            self.offers = OfferPanel(self)
            self.waiting = WaitingList(self) if has_desk else None
            with ui.row().classes("w-full items-center px-2 pt-1 gap-2"):
                ui.label("Conversations").classes("text-xs uppercase xc-muted")
                self.total = ui.badge(color="red").props("rounded").mark("unread-total")
                self.total.set_visibility(False)
                ui.space()
                if has_desk:
                    ui.button(icon="add", on_click=lambda: new_conversation_dialog(self)).props(
                        "flat round dense color=primary title='New conversation'").mark("new-conversation")
            self.tab_list = ui.column().classes("w-full gap-1")
            self.empty = ui.label("No open conversation. Offers come while you are online; + starts one.").classes(
                "xc-muted text-sm px-2")
        with ui.right_drawer(value=True, fixed=True, bordered=True).props("width=300").classes("bg-white p-0"):
            self.sidebar = Sidebar(self)
        self.main = ui.column().classes("w-full gap-0").style("height: calc(100vh - 58px)")
        self._report_presence()
        context.subscribe(f"agent:{self.principal.username}", self.on_event)
        for queue in queues:
            context.subscribe(f"queue:{queue['name']}", self.on_event)
        for interaction_id in me["open_interactions"]:
            await self._add_tab(interaction_id)
        self._show_total(me["unread_total"])
        for offer in await self.services.agents.offers(self.principal):
            self.offers.show(offer, time.time() + offer["expires_in"])
        if self.waiting is not None:
            await self.waiting.refresh()
        await self.select(me["open_interactions"][0] if me["open_interactions"] else None)

    def _report_presence(self) -> None:
        """Tell presence when this page's socket connects and goes (an agent without any goes offline after the
        workspace's grace). A socket that stops answering NiceGUI's pings is disconnected by the server."""
        client, presence, principal = ui.context.client, self.services.presence, self.principal

        def gone() -> None:
            if not client.has_socket_connection:  # a socket replaced by its reconnection is no loss
                presence.desk_disconnected(principal, client.id)

        client.on_connect(lambda: presence.desk_connected(principal, client.id))
        client.on_disconnect(gone)
        client.on_delete(lambda: presence.desk_disconnected(principal, client.id))
        if client.has_socket_connection:  # connected while the page was still being built
            presence.desk_connected(principal, client.id)

    def _header(self, me: dict[str, Any], queues: list[dict[str, Any]]) -> None:
        with ui.header().classes("bg-secondary items-center px-4 py-2 gap-3 no-wrap"):
            ui.label("💬 WhatsApp desk").classes("text-lg font-semibold")
            self.queue_chips = {}
            for queue in queues:
                self.queue_chips[queue["name"]] = ui.chip(
                    self._queue_text(queue["name"], queue["waiting"]), on_click=self._reveal_waiting).props(
                    "dense outline clickable color=white").mark(f"queue-{queue['name']}")
            ui.space()
            if self.services.system.desk(self.principal.username) is not None:
                self._known_state = me["state"]
                install_sound()  # only a desk is offered conversations: the prompt sits before its state
                self.state = ui.select(STATES, value=me["state"], on_change=self._state_chosen).props(
                    "dense borderless dark options-dense").classes("w-[130px]").mark("state")
                self.reason = ui.label(me["reason"] or "").classes("text-xs")
            with ui.button(icon="account_circle", on_click=self._fill_user_menu).props(
                    "flat round color=white").mark("user-menu"):
                self.user_menu = ui.menu()

    def _fill_user_menu(self) -> None:
        if self.user_menu.default_slot.children:
            return
        with self.user_menu:
            ui.menu_item(f"{self.principal.full_name or self.principal.username} ({self.principal.role})").props(
                "disable")
            ui.menu_item("Interactions", on_click=lambda: ui.navigate.to("/interactions")).mark("to-interactions")
            ui.menu_item("Contacts", on_click=lambda: ui.navigate.to("/contacts")).mark("to-contacts")
            if self.principal.role in ("admin", "supervisor"):
                ui.menu_item("Supervisor board", on_click=lambda: ui.navigate.to("/supervisor")).mark("to-supervisor")
            if self.principal.role == "admin":
                ui.menu_item("Administration", on_click=lambda: ui.navigate.to("/admin/users")).mark("to-admin")
                ui.menu_item("Campaigns", on_click=lambda: ui.navigate.to("/admin/campaigns")).mark("to-campaigns")
                if self.services.simulator.available_to(self.principal):
                    ui.menu_item("Customer simulator", on_click=lambda: ui.navigate.to("/simulator", new_tab=True))
            ui.menu_item("Sign out", on_click=lambda: ui.navigate.to("/logout")).mark("logout")

    def _reveal_waiting(self) -> None:
        if self.waiting is not None:
            self.waiting.reveal()

    @staticmethod
    def _queue_text(name: str, waiting: int) -> str:
        return f"{name} · {waiting} waiting"

    # --- state -----------------------------------------------------------------------------------
    async def _state_chosen(self) -> None:
        state = self.state.value
        if state == self._known_state:  # the state shown is the desk's own (pushed from elsewhere, or reverted)
            return
        reason = None
        if state == "paused":
            reason = await self._pause_reason()
            if reason is None:
                self._show_state(self._known_state, self.reason.text or None)
                return
        done = await context.attempt(self.services.agents.set_state(self.principal, state, reason))
        if done is None:
            self._show_state(self._known_state, self.reason.text or None)
        else:
            self._known_state = state

    def _show_state(self, state: str, reason: str | None) -> None:
        """Show the desk's state as it is (from its actor's event); not taken as a new pick by the agent."""
        self._known_state = state
        self.state.set_value(state)
        self.reason.set_text(reason or "")

    async def _pause_reason(self) -> str | None:
        with context.dialog() as dialog, ui.card().classes("w-[320px]"):
            ui.label("Pause: why?").classes("text-lg font-medium")
            choice = ui.radio(list(PAUSE_REASONS), value=PAUSE_REASONS[0]).mark("pause-reason")
            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat")
                ui.button("Pause", on_click=lambda: dialog.submit(choice.value)).props("unelevated")
        return await dialog

    # --- tabs ------------------------------------------------------------------------------------
    async def _add_tab(self, interaction_id: int) -> dict[str, Any] | None:
        if interaction_id in self.tabs:
            return None
        self._adding[interaction_id] += 1
        try:
            interaction = await context.attempt(self.services.interactions.get(self.principal, interaction_id))
        finally:
            told = self._read_for_tab(interaction_id)
        if interaction is None or interaction_id in self.tabs:
            return None
        contact = interaction["contact"]
        with self.tab_list:
            with ui.row().classes("xc-tab w-full items-center px-2 py-2 gap-2 no-wrap").on(
                    "click", lambda: self.select(interaction_id)).mark(f"tab-{interaction_id}") as row:
                ui.avatar((contact["name"] or "#")[:1].upper(), color="primary", text_color="white", size="sm")
                name = ui.label(customer_label(contact)).classes("flex-grow truncate")
                badge = ui.badge(str(interaction["unread"]), color="red").props("rounded").mark("unread")
                badge.set_visibility(interaction["unread"] > 0)
        self.tabs[interaction_id] = Tab(row, name, badge)
        self.empty.set_visibility(False)
        if told is not None:
            self._unread(interaction_id, told)
        return interaction

    def _read_for_tab(self, interaction_id: int) -> int | None:
        """One read for a new tab has ended: the latest unread count told while it was under way, if any."""
        self._adding[interaction_id] -= 1
        if self._adding[interaction_id]:
            return self._unread_told.get(interaction_id)
        del self._adding[interaction_id]
        return self._unread_told.pop(interaction_id, None)

    def _remove_tab(self, interaction_id: int) -> None:
        tab = self.tabs.pop(interaction_id, None)
        if tab is not None:
            tab.row.delete()
        self.empty.set_visibility(not self.tabs)
        if self.selected == interaction_id:
            context.run(self.select(next(iter(self.tabs), None)))

    async def select(self, interaction_id: int | None) -> None:
        """Show this conversation (None: none). One at a time: an accept and its event may both ask."""
        async with self._selecting:
            if interaction_id is not None and interaction_id == self.selected and self.chat is not None:
                return
            await self._show(interaction_id)

    async def _show(self, interaction_id: int | None) -> None:
        if interaction_id is not None and interaction_id not in self.tabs:
            await self._add_tab(interaction_id)
            if interaction_id not in self.tabs:
                return
        if self.chat is not None:
            self.chat.dispose()
            self.chat = None
        self.main.clear()
        if self.selected in self.tabs:
            self.tabs[self.selected].row.classes(remove="xc-tab-active")
        self.selected = interaction_id
        if interaction_id is None:
            with self.main:
                with ui.column().classes("w-full h-full items-center justify-center xc-chat"):
                    ui.label("💬").classes("text-6xl")
                    ui.label("Accept an offer, or pick a conversation on the left.").classes("xc-muted")
            await self.sidebar.set_interaction(None)
            return
        self.tabs[interaction_id].row.classes(add="xc-tab-active")
        interaction = await context.attempt(self.services.interactions.get(self.principal, interaction_id))
        if interaction is None:
            await self.sidebar.set_interaction(None)
            return
        with self.main:
            self.chat = ChatView(self, interaction)
            await self.chat.build()
        await self.sidebar.set_interaction(interaction)
        await self.read(interaction_id)

    def focus_composer(self) -> None:
        if self.chat is not None:
            self.chat.composer.input.run_method("focus")

    async def read(self, interaction_id: int) -> None:
        """The agent is looking at it: nothing in it is unread any more."""
        tab = self.tabs.get(interaction_id)
        if tab is not None and tab.badge.visible:
            await context.attempt(self.services.interactions.mark_read(self.principal, interaction_id))

    # --- live events -------------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        if isinstance(event, (OfferShown, OfferGone, QueueChanged)) and self.waiting is not None:
            self.waiting.request_refresh()  # what waits, and what of it is offered to this agent
        if isinstance(event, OfferShown):
            context.run(self._offer(event))
        elif isinstance(event, OfferGone):
            self.offers.gone(event.interaction_id, event.reason, event.by)
        elif isinstance(event, InteractionOwned) and event.agent == self.principal.username:
            self.offers.gone(event.interaction_id, "accepted", None)
            context.run(self._owned(event.interaction_id))
        elif isinstance(event, InteractionReleased):
            customer = self._customer(event.interaction_id)
            self._remove_tab(event.interaction_id)
            if event.reason == "transferred":
                notices.tell(f"Your transfer of {customer} was accepted.", kind="positive",
                             key=f"conversation-{event.interaction_id}")
            elif event.reason == "returned":
                notices.tell(f"A supervisor returned {customer} to the queue.", kind="warning",
                             key=f"conversation-{event.interaction_id}")
        elif isinstance(event, UnreadChanged):
            self._unread(event.interaction_id, event.unread)
            self._show_total(event.total)
        elif isinstance(event, AgentStateChanged) and hasattr(self, "state"):
            self._show_state(event.state, event.reason)
        elif isinstance(event, QueueChanged) and event.queue in self.queue_chips:
            self.queue_chips[event.queue].set_text(self._queue_text(event.queue, event.waiting))
        elif isinstance(event, TransferFailed):
            notices.tell(f"The transfer of {self._customer(event.interaction_id)} was not taken ({event.reason}): "
                         "the conversation is back with you.", kind="warning",
                         key=f"conversation-{event.interaction_id}")

    def _customer(self, interaction_id: int) -> str:
        """The customer of one of the agent's conversations, as its tab names them."""
        tab = self.tabs.get(interaction_id)
        return tab.name.text if tab is not None else "a conversation"

    async def _offer(self, event: OfferShown) -> None:
        offers = await self.services.agents.offers(self.principal)
        for offer in offers:
            if offer["interaction_id"] == event.interaction_id:
                self.offers.show(offer, event.deadline)

    async def open_started(self, interaction_id: int) -> None:
        """A conversation this agent just started: its tab, shown."""
        await self._add_tab(interaction_id)
        await self.select(interaction_id)

    async def _owned(self, interaction_id: int) -> None:
        await self._add_tab(interaction_id)
        if self.selected is None:
            await self.select(interaction_id)

    def _show_total(self, total: int) -> None:
        self.total.set_text(f"{total} unread")
        self.total.set_visibility(total > 0)

    def _unread(self, interaction_id: int, unread: int) -> None:
        tab = self.tabs.get(interaction_id)
        if tab is None:
            if interaction_id in self._adding:
                self._unread_told[interaction_id] = unread
            return
        tab.badge.set_text(str(unread))
        tab.badge.set_visibility(unread > 0)
        if unread and interaction_id == self.selected:
            context.run(self.read(interaction_id))

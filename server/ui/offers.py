"""Offers as they come (SPEC D3, R3, R7): a card per offer with its customer, queue, countdown, for a
transfer who sent it and why, Accept / Reject, a sound, and a notice naming the customer when someone else
took it or it timed out."""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from nicegui import ui

from server.errors import Conflict
from server.domain.phone import readable_phone
from server.ui import context, notices, sound
from server.ui.bubbles import customer_label


class OfferPanel:
    """The offers, stacked at the top of the conversation list, where they cover nothing; one timer ticks their
    countdowns while any is shown."""

    def __init__(self, desk: Any) -> None:
        self.desk = desk
        self.cards: dict[int, _Card] = {}
        self.ended: OrderedDict[int, float] = OrderedDict()  # when each recent offer ended (monotonic)
        with ui.column().classes("w-full gap-2 px-1 pb-2") as self.section:
            with ui.row().classes("w-full items-center px-1 gap-2"):
                ui.label("Offers").classes("text-xs uppercase xc-muted")
                self.count = ui.badge("0", color="green").props("rounded")
            self.stack = ui.column().classes("w-full gap-2")
        self.section.set_visibility(False)
        self.timer: ui.timer | None = None  # made with the first offer, so an idle desk carries none

    def show(self, offer: dict[str, Any], deadline: float) -> None:
        interaction_id = offer["interaction_id"]
        if (interaction_id in self.cards or deadline <= time.time()
                or time.monotonic() - self.ended.get(interaction_id, -60.0) < 2.0):
            return
        contact = offer.get("contact") or {}
        transfer = offer.get("transfer")
        customer = customer_label(contact)
        sender = (transfer or {}).get("from_name") or "a colleague"
        with self.stack:
            with ui.card().classes("xc-card xc-offer w-full p-2 gap-1").style(
                    "border-left: 4px solid " + ("#2e90fa" if offer["kind"] == "transfer" else "#25D366")).mark(
                    "offer") as card:
                if offer["kind"] == "transfer":
                    ui.label(f"↪ Transfer from {sender}").classes("font-medium text-sm")
                else:
                    ui.label("💬 New conversation").classes("font-medium text-sm")
                ui.label(customer).classes("text-base truncate w-full")
                phone = readable_phone(contact.get("phone") or "")
                ui.label(" · ".join(filter(None, [phone if phone != customer else "", f"queue {offer['queue']}"]))
                         ).classes("xc-muted text-xs")
                if transfer and transfer.get("note"):
                    ui.label(f"“{transfer['note']}”").classes("text-sm italic").style("white-space: pre-wrap")
                with ui.row().classes("w-full items-center gap-1 no-wrap"):
                    countdown = ui.label().classes("xc-muted text-xs flex-grow whitespace-nowrap")
                    ui.button("Reject", on_click=lambda: self._answer(interaction_id, accept=False)).props(
                        "flat dense no-caps color=negative").mark("reject")
                    ui.button("Accept", on_click=lambda: self._answer(interaction_id, accept=True)).props(
                        "unelevated dense no-caps").mark("accept")
        timed_out = (f"The transfer of {customer} timed out: it went back to {sender}." if offer["kind"] == "transfer"
                     else f"The offer for {customer} timed out: it waits in the list for whoever takes it.")
        self.cards[interaction_id] = _Card(card, countdown, deadline, customer, timed_out)
        self._shown()
        self._tick()
        if self.timer is None:
            with self.section:
                self.timer = ui.timer(1.0, self._tick)
        self.timer.activate()
        sound.chime()

    def _shown(self) -> None:
        self.count.set_text(str(len(self.cards)))
        self.section.set_visibility(bool(self.cards))

    def gone(self, interaction_id: int, reason: str, by: str | None) -> None:
        entry = self.cards.pop(interaction_id, None)
        if entry is None:
            # Ended while its card was being made (the card waits for the offer's details): it gets none.
            self.ended[interaction_id] = time.monotonic()
            self.ended.move_to_end(interaction_id)
            while len(self.ended) > 200:
                self.ended.popitem(last=False)
            return
        entry.card.delete()
        self._shown()
        if reason == "taken" and by and by != self.desk.principal.username:
            context.run(self._tell_taken(entry.customer, by))
        elif reason == "timeout":
            notices.tell(entry.timed_out, key=f"offer-{interaction_id}")
        if not self.cards and self.timer is not None:
            self.timer.deactivate()

    async def _tell_taken(self, customer: str, by: str) -> None:
        name = await context.services().agents.display_name(by)
        notices.tell(f"{name} took {customer} first.", key="taken")

    async def _answer(self, interaction_id: int, *, accept: bool) -> None:
        # The clicked card may be deleted while the answer is on its way (someone else took the offer):
        # notices and whatever follows are built from the stack, which stays.
        with self.stack:
            await self._send_answer(interaction_id, accept=accept)

    async def _send_answer(self, interaction_id: int, *, accept: bool) -> None:
        agents = context.services().agents
        if not await context.still_allowed():
            return
        try:
            if accept:
                await agents.accept(self.desk.principal, interaction_id)
            else:
                await agents.reject(self.desk.principal, interaction_id)
            self.gone(interaction_id, "answered", None)
            if accept:
                await self.desk.select(interaction_id)
        except Conflict as error:
            if interaction_id in self.cards:  # else the event that removed it has told why already
                context.notify_error(error)
            self.gone(interaction_id, "", None)
        except Exception as error:  # noqa: BLE001 - shown as a notice
            context.notify_error(error)

    def _tick(self) -> None:
        now = time.time()
        for interaction_id, card in list(self.cards.items()):
            if card.deadline < now - 2:  # its end was not heard of: let it go
                self.gone(interaction_id, "", None)
                continue
            left = max(0, int(card.deadline - now))
            card.countdown.set_text(f"⏳ {left // 60}:{left % 60:02d} left to answer")


@dataclass
class _Card:
    card: ui.card
    countdown: ui.label
    deadline: float
    customer: str  # as this agent may see them
    timed_out: str  # the notice if it times out

"""Offers as they pop up (SPEC D3, R3, R7): a card per offer with its countdown, Accept / Reject, a sound,
and a notice when someone else took it."""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from nicegui import ui

from server.errors import Conflict
from server.domain.phone import readable_phone
from server.ui import context
from server.ui.bubbles import customer_label

CHIME_JS = """
(() => { try {
  const audio = new (window.AudioContext || window.webkitAudioContext)();
  [0, 0.18].forEach((delay, i) => {
    const tone = audio.createOscillator(), gain = audio.createGain();
    tone.frequency.value = i ? 1175 : 880; tone.connect(gain); gain.connect(audio.destination);
    gain.gain.setValueAtTime(0.15, audio.currentTime + delay);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + delay + 0.25);
    tone.start(audio.currentTime + delay); tone.stop(audio.currentTime + delay + 0.3);
  });
} catch (e) {} })();
"""


class OfferPanel:
    """The stack of offers in the top right corner; one timer ticks their countdowns while any is shown."""

    def __init__(self, desk: Any) -> None:
        self.desk = desk
        self.cards: dict[int, tuple[ui.card, ui.label, float]] = {}
        self.ended: OrderedDict[int, float] = OrderedDict()  # when each recent offer ended (monotonic)
        self.stack = ui.column().classes("fixed top-16 right-4 gap-2 w-[330px]").style("z-index: 6000")
        self.timer: ui.timer | None = None  # made with the first offer, so an idle desk carries none

    def show(self, offer: dict[str, Any], deadline: float) -> None:
        interaction_id = offer["interaction_id"]
        if (interaction_id in self.cards or deadline <= time.time()
                or time.monotonic() - self.ended.get(interaction_id, -60.0) < 2.0):
            return
        contact = offer.get("contact") or {}
        transfer = offer["kind"] == "transfer"
        with self.stack:
            with ui.card().classes("xc-card w-full p-3 gap-2").style(
                    "border-left: 4px solid " + ("#2e90fa" if transfer else "#25D366")).mark("offer") as card:
                ui.label("↪ Transfer offered to you" if transfer else "💬 New conversation").classes(
                    "font-medium")
                ui.label(customer_label(contact)).classes("text-base")
                ui.label(f"{readable_phone(contact.get('phone') or '')} · queue {offer['queue']}").classes(
                    "xc-muted text-xs")
                countdown = ui.label().classes("xc-muted text-xs")
                with ui.row().classes("w-full justify-end gap-2"):
                    ui.button("Reject", on_click=lambda: self._answer(interaction_id, accept=False)).props(
                        "flat color=negative").mark("reject")
                    ui.button("Accept", on_click=lambda: self._answer(interaction_id, accept=True)).props(
                        "unelevated").mark("accept")
        self.cards[interaction_id] = (card, countdown, deadline)
        self._tick()
        if self.timer is None:
            with self.stack:
                self.timer = ui.timer(1.0, self._tick)
        self.timer.activate()
        ui.run_javascript(CHIME_JS)

    def gone(self, interaction_id: int, reason: str, by: str | None) -> None:
        entry = self.cards.pop(interaction_id, None)
        if entry is None:
            # Ended while its card was being made (the card waits for the offer's details): it gets none.
            self.ended[interaction_id] = time.monotonic()
            self.ended.move_to_end(interaction_id)
            while len(self.ended) > 200:
                self.ended.popitem(last=False)
            return
        entry[0].delete()
        if reason == "taken" and by and by != self.desk.principal.username:
            ui.notify(f"{by} took that conversation first.", type="info", position="top-right")
        elif reason == "timeout":
            ui.notify("An offer timed out.", type="info", position="top-right")
        if not self.cards and self.timer is not None:
            self.timer.deactivate()

    async def _answer(self, interaction_id: int, *, accept: bool) -> None:
        # The clicked card may be deleted while the answer is on its way (someone else took the offer):
        # notices and whatever follows are built from the stack, which stays.
        with self.stack:
            await self._send_answer(interaction_id, accept=accept)

    async def _send_answer(self, interaction_id: int, *, accept: bool) -> None:
        agents = context.services().agents
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
        for interaction_id, (_, countdown, deadline) in list(self.cards.items()):
            if deadline < now - 2:  # its end was not heard of: let it go
                self.gone(interaction_id, "", None)
                continue
            left = max(0, int(deadline - now))
            countdown.set_text(f"⏳ {left // 60}:{left % 60:02d} left to answer")

"""The waiting list of the desk (SPEC D2, R3): the conversations waiting in the agent's queues, longest waiting
first, with their customer, queue and wait. Take wins one at once if nobody was first; the automatic offers
and their re-offer delay go on as before.

It is refreshed when a queue of the agent changes or an offer comes or goes, at most once a second, and shows
the longest-waiting 50 (the count is of all); an idle desk whose queues wait for nothing costs nothing.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from nicegui import ui

from server.ui import context
from server.ui.bubbles import customer_label

REFRESH_PAUSE = 1.0  # seconds: changes within it are shown by one refresh (a busy queue changes all the time)


@dataclass
class _Shown:
    """A listed conversation's row, which tells its queue and wait."""

    row: ui.row
    since: float
    queue: str
    offered: bool
    label: ui.label

    def show(self) -> None:
        waited = max(0, int(time.time() - self.since))
        self.label.set_text(f"{self.queue} · waiting {waited // 60}:{waited % 60:02d}"
                            + (" · offered to you" if self.offered else ""))


class WaitingList:
    def __init__(self, desk: Any) -> None:
        self.desk = desk
        self.shown: dict[int, _Shown] = {}
        self._refresh_due = False
        with ui.expansion(value=True).classes("w-full").props("dense header-class='px-2'") as self.section:
            with self.section.add_slot("header"):
                with ui.row().classes("w-full items-center gap-2 no-wrap"):
                    ui.label("Waiting").classes("text-xs uppercase xc-muted")
                    self.count = ui.badge("0", color="orange").props("rounded")
            self.rows = ui.column().classes("w-full gap-1")
            self.empty = ui.label("Nobody is waiting.").classes("xc-muted text-sm px-2")
        self.timer = ui.timer(5.0, self._tick, active=False)

    async def refresh(self) -> None:
        """Show the list as it is now; rows still listed stay as they are (a click on one is not lost)."""
        found = await context.attempt(context.services().agents.waiting(self.desk.principal))
        if found is None:
            return
        items, total = found
        listed = {item["interaction_id"] for item in items}
        for interaction_id in [i for i in self.shown if i not in listed]:
            self.shown.pop(interaction_id).row.delete()
        for index, item in enumerate(items):
            shown = self.shown.get(item["interaction_id"])
            if shown is None:
                with self.rows:
                    shown = self._row(item)
            shown.offered = item["offered_to_me"]
            shown.row.move(self.rows, target_index=index)
            shown.show()
        self.count.set_text(str(total))
        self.empty.set_visibility(not items)
        self.timer.active = bool(items)

    def request_refresh(self) -> None:
        """Something changed in the agent's queues: show it shortly (one refresh for a burst of changes)."""
        if self._refresh_due:
            return
        self._refresh_due = True

        async def later() -> None:
            await asyncio.sleep(REFRESH_PAUSE)
            self._refresh_due = False
            await self.refresh()

        context.run(later())

    def reveal(self) -> None:
        """Open the list and bring it into view (the header's "n waiting" chips lead here)."""
        self.section.open()
        ui.run_javascript(f"getHtmlElement({self.section.id}).scrollIntoView({{block: 'nearest'}})")

    def _row(self, item: dict[str, Any]) -> _Shown:
        interaction_id, contact = item["interaction_id"], item["contact"]
        with ui.row().classes("xc-waiting w-full items-center px-2 py-1 gap-2 no-wrap") as row:
            ui.avatar((contact["name"] or "#")[:1].upper(), color="orange-8", text_color="white", size="sm")
            with ui.column().classes("gap-0 flex-grow min-w-0"):
                ui.label(customer_label(contact)).classes("truncate w-full")
                waited = ui.label().classes("xc-muted text-xs")
            ui.button("Take", on_click=lambda: self._take(interaction_id)).props(
                "unelevated dense no-caps size=sm color=primary").mark(f"take-{interaction_id}")
        shown = self.shown[interaction_id] = _Shown(row, time.time() - item["waited_seconds"], item["queue"],
                                                    item["offered_to_me"], waited)
        return shown

    def _tick(self) -> None:
        for shown in self.shown.values():
            shown.show()

    async def _take(self, interaction_id: int) -> None:
        with self.rows:  # the row may be gone when the answer comes: what follows is made from the list
            done = await context.attempt(context.services().agents.take(self.desk.principal, interaction_id))
            if done is not None:
                await self.desk.select(interaction_id)
            self.request_refresh()

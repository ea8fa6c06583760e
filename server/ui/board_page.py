"""The supervisor's live board (SPEC S1): per queue waiting, longest wait, offers in flight, agents by state,
open interactions and answers within target today; per agent state, open interactions and time in state.

The figures come from the board service, which the actors' events keep current. The page redraws in
batches: a change shows within a tenth of a second when things are quiet, and at most twice a second when
they are not (a thousand agents changing state send one update, not a thousand); the clocks (longest wait,
time in state) tick on their own."""
from __future__ import annotations

import time
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import admin_door
from server.ui.bubbles import customer_label

PATH = "/supervisor"
TICK = 0.1  # seconds between two looks at the board's version
BATCH = 0.5  # seconds between two redraws of a table at least
QUEUE_CLOCK = 1.0  # the longest wait ticks this often
AGENT_CLOCK = 5.0  # the agents' time in state is redrawn at least this often
QUEUE_COLUMNS = [
    {"name": "name", "label": "Queue", "field": "name", "align": "left"},
    {"name": "waiting", "label": "Waiting", "field": "waiting"},
    {"name": "longest", "label": "Longest wait", "field": "longest"},
    {"name": "offers", "label": "Offers", "field": "offers_in_flight"},
    {"name": "online", "label": "Online", "field": "online"},
    {"name": "paused", "label": "Paused", "field": "paused"},
    {"name": "full", "label": "Full", "field": "full"},
    {"name": "offline", "label": "Offline", "field": "offline"},
    {"name": "open", "label": "Open", "field": "open"},
    {"name": "answered", "label": "Answered today", "field": "answered_today"},
    {"name": "target", "label": "Within target", "field": "target"},
]
AGENT_COLUMNS: list[dict[str, Any]] = [
    {"name": "agent", "label": "Agent", "field": "agent", "align": "left", "sortable": True},
    {"name": "state", "label": "State", "field": "state", "align": "left", "sortable": True},
    {"name": "reason", "label": "Reason", "field": "reason", "align": "left"},
    {"name": "load", "label": "Open", "field": "load", "sortable": True},
    {"name": "offers", "label": "Offers", "field": "offers", "sortable": True},
    {"name": "in_state", "label": "In state", "field": "in_state", "align": "left"},
    {"name": "queues", "label": "Queues", "field": "queues", "align": "left"},
]
STATE_CELL = """<q-td :props="props">
 <q-badge :color="{online: 'positive', paused: 'warning', full: 'deep-orange', offline: 'grey-6'}[props.value]"
  :label="props.value" class="q-px-sm" />
</q-td>"""
FORBIDDEN = "Only supervisors and administrators can see the queue board."


async def board_page() -> RedirectResponse | None:
    principal = await admin_door(PATH, forbidden=FORBIDDEN, marker="board-forbidden", roles=("admin", "supervisor"))
    if isinstance(principal, Principal):
        await BoardPage(principal).build()
        return None
    return principal


def duration(seconds: float) -> str:
    """A wait or a time in state as a person reads it: 42 s, 3 min 05 s, 1 h 20 min."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def queue_cells(row: dict[str, Any]) -> dict[str, Any]:
    share = row["within_target_share"]
    target = f"{share:.0%} of {row['answered_today']} (≤ {int(row['target_seconds'])} s)" if share is not None else "—"
    return {**row, **row["agents"], "longest": duration(row["longest_wait"]) if row["waiting"] else "—",
            "target": target}


def agent_cells(row: dict[str, Any]) -> dict[str, Any]:
    name = row["full_name"] or row["username"]
    return {"username": row["username"], "agent": f"{name} ({row['username']})" if row["full_name"] else name,
            "state": row["state"], "reason": row["reason"] or "", "load": f"{row['open']} / {row['capacity']}",
            "offers": row["offers"], "in_state": duration(row["in_state_seconds"]),
            "queues": ", ".join(row["queues"])}


class BoardPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.service = context.services().board
        self.visible: set[str] | None = None
        self.shown_version = -1
        self.queues_drawn_at = self.agents_drawn_at = 0.0
        self.agent_rows: list[dict[str, Any]] = []

    async def build(self) -> None:
        self.visible = await self.service.visible_queues(self.principal)
        with ui.column().classes("w-full p-4 gap-4"):
            with ui.row().classes("w-full items-center"):
                ui.label("Queue board").classes("text-xl font-semibold")
                ui.space()
                self.updated = ui.label("").classes("xc-muted text-xs").mark("board-updated")
            if self.visible is not None and not self.visible:
                ui.label("You do not supervise any queue yet; an administrator can add you to one.").classes(
                    "xc-muted").mark("board-no-queues")
            self.queue_table = ui.table(columns=QUEUE_COLUMNS, rows=[], row_key="name").classes(
                "w-full xc-card").props("flat dense hide-bottom").mark("board-queues")
            with ui.row().classes("w-full items-center gap-2"):
                ui.label("Agents").classes("text-lg font-semibold")
                ui.space()
                self.state_filter = ui.select({"": "Every state", "online": "Online", "paused": "Paused",
                                               "full": "Full", "offline": "Offline"}, value="",
                                              on_change=self._filter_changed).props("dense outlined").classes(
                    "w-40").mark("board-state-filter")
                self.search = ui.input(placeholder="Find an agent").props("dense outlined clearable").classes(
                    "w-56").mark("board-search")
            self.agent_table = ui.table(columns=AGENT_COLUMNS, rows=[], row_key="username",
                                        pagination={"rowsPerPage": 50, "sortBy": "agent"}).classes(
                "w-full xc-card").props("flat dense").mark("board-agents")
            self.agent_table.add_slot("body-cell-state", STATE_CELL)
            self.agent_table.bind_filter_from(self.search, "value")
            self.agent_table.on("rowClick", self._agent_clicked)
        await self._redraw(time.monotonic(), agents=True)
        self.timer = ui.timer(TICK, self._tick)

    def _filter_changed(self) -> None:
        self.shown_version, self.agents_drawn_at = -1, 0.0  # redraw at the next tick

    async def _tick(self) -> None:
        now = time.monotonic()
        changed = self.service.version != self.shown_version
        agents = (changed and now - self.agents_drawn_at >= BATCH) or now - self.agents_drawn_at >= AGENT_CLOCK
        if agents or (changed and now - self.queues_drawn_at >= BATCH) or now - self.queues_drawn_at >= QUEUE_CLOCK:
            if not await context.still_allowed(by_person=False):  # signed out meanwhile: nothing more is shown
                self.timer.cancel()
                return
            await self._redraw(now, agents)

    async def _redraw(self, now: float, agents: bool) -> None:
        version = self.service.version
        snapshot = await self.service.rows(self.visible)
        self.queue_table.rows = [queue_cells(r) for r in snapshot["queues"]]
        self.queue_table.update()
        self.queues_drawn_at = now
        if agents:
            wanted = self.state_filter.value
            rows = [agent_cells(r) for r in snapshot["agents"] if not wanted or r["state"] == wanted]
            if rows != self.agent_rows:  # nothing sent when nothing changed
                self.agent_rows = self.agent_table.rows = rows
                self.agent_table.update()
            self.agents_drawn_at, self.shown_version = now, version
        self.updated.text = f"Live · updated {time.strftime('%H:%M:%S')}"

    async def _agent_clicked(self, event: Any) -> None:
        row = event.args[1] if isinstance(event.args, list) and len(event.args) > 1 else None
        if not row:
            return
        await open_interactions_dialog(self.principal, row["username"], row["agent"])


async def open_interactions_dialog(principal: Principal, username: str, label: str) -> None:
    """The agent's open interactions, each with a way to watch it (SPEC S2)."""
    services = context.services()
    ids = services.board.open_of(username)
    rows = []
    for interaction_id in ids:
        view = await context.attempt(services.interactions.get(principal, interaction_id))
        if view is not None and view["status"] == "open":
            rows.append(view)
    with context.dialog() as dialog, ui.card().classes("min-w-[420px]"):
        ui.label(f"Open interactions of {label}").classes("text-lg font-semibold")
        if not rows:
            ui.label("Nothing open right now.").classes("xc-muted").mark("agent-nothing-open")
        for view in rows:
            name = customer_label(view["contact"])
            with ui.row().classes("w-full items-center gap-2 no-wrap"):
                ui.label(f"#{view['id']} · {name} · {view['queue']}").classes("flex-grow")
                ui.button("Watch", icon="visibility", on_click=lambda i=view["id"]: ui.navigate.to(
                    f"/supervisor/interactions/{i}")).props("flat dense no-caps").mark(f"watch-{view['id']}")
        ui.button("Close", on_click=dialog.close).props("flat")
    dialog.open()

"""The Queues page (SPEC A1): every queue with its routing rules (strategy, weight, offer timeout, re-offer
delay, capacity per agent, answer target) and members; create one, change its rules, set its members, delete
it. The queue admin service checks everything and refuses (a taken name, a queue still in use); the running
actors take the change at once."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.domain.routing import Strategy
from server.services.auth import Principal
from server.services.queue_admin import NUMBERS
from server.ui import context
from server.ui.admin_kit import (Action, actions_cell, admin_door, changed, columns, confirm, page_table, succeeded,
                                 title_row, whole)

PATH = "/admin/queues"
STRATEGIES = {Strategy.RING_ALL.value: "Ring all", Strategy.ROUND_ROBIN.value: "Round robin",
              Strategy.LEAST_RECENT.value: "Least recent", Strategy.LEAST_BUSY.value: "Least busy"}
NUMBER_LABELS = {"weight": "Weight", "offer_timeout": "Offer timeout (s)", "reoffer_delay": "Re-offer delay (s)",
                 "capacity": "Capacity per agent", "target_seconds": "Answer target (s)"}
COLUMNS = columns(("name", "Queue"), ("strategy", "Strategy"), ("weight", "Weight"), ("offer_timeout", "Timeout (s)"),
                  ("reoffer_delay", "Re-offer (s)"), ("capacity", "Capacity"), ("target_seconds", "Target (s)"),
                  ("members", "Members"), ("supervisors", "Supervisors"), ("actions", ""))
ACTIONS = actions_cell(Action("edit", "Edit", "edit"), Action("members", "Members", "group"),
                       Action("supervisors", "Supervisors", "visibility"), Action("delete", "", "delete", "negative"))


async def queues_page() -> RedirectResponse | None:
    principal = await admin_door(PATH)
    if isinstance(principal, Principal):
        await QueuesPage(principal).build()
        return None
    return principal


class QueuesPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.services = context.services()
        self.service = self.services.queue_admin
        self.queues: dict[str, dict[str, Any]] = {}

    async def build(self) -> None:
        with title_row("Queues"):
            ui.button("New queue", icon="add", on_click=lambda: self.edit(None)).props("unelevated no-caps").mark(
                "queues-new")
        self.table = page_table(COLUMNS, "name", "queues-table", ACTIONS)
        self.table.on("edit", lambda event: self.edit(self.queues.get(event.args["name"])))
        self.table.on("members", lambda event: self.members(event.args["name"]))
        self.table.on("supervisors", lambda event: self.supervisors(event.args["name"]))
        self.table.on("delete", lambda event: self.delete(event.args["name"]))
        await self.load()

    async def load(self) -> None:
        found = await context.attempt(self.service.list(self.principal))
        if found is None:
            return
        self.queues = {q["name"]: q for q in found}
        self.table.rows = [{**q, "strategy": STRATEGIES.get(q["strategy"], q["strategy"]),
                            "members": ", ".join(q["members"]) or "—",
                            "supervisors": ", ".join(q["supervisors"]) or "—"} for q in found]
        self.table.update()

    async def _users(self, role: str | None = None) -> dict[str, str] | None:
        """The users who can be members (enabled ones; of `role` only, if given), as options: username ->
        "Full name (username)"."""
        users = await context.attempt(self.services.admin.list_users(self.principal))
        if users is None:
            return None
        return {u["username"]: f"{u['full_name']} ({u['username']})" if u["full_name"] else u["username"]
                for u in users if not u["disabled"] and role in (None, u["role"])}

    async def edit(self, queue: dict[str, Any] | None) -> None:
        """A new queue (name, rules, members), or an existing one's rules (its name is fixed)."""
        users = await self._users() if queue is None else {}
        if users is None:
            return
        with context.dialog() as dialog, ui.card().classes("w-[520px] max-w-[95vw] gap-2"):
            ui.label(f"Edit the queue {queue['name']}" if queue else "New queue").classes("text-lg font-medium")
            if queue is None:
                name = ui.input("Name").props("outlined dense").classes("w-full").mark("queue-name")
            strategy = ui.select(STRATEGIES, label="Strategy", value=queue["strategy"] if queue else "ring_all").props(
                "outlined dense").classes("w-full").mark("queue-strategy")
            numbers = {}
            with ui.grid(columns=2).classes("w-full gap-2"):
                for field, label in NUMBER_LABELS.items():
                    low, high, default = NUMBERS[field]
                    numbers[field] = ui.number(f"{label}, {low}-{high}", value=queue[field] if queue else default
                                               ).props("outlined dense").classes("w-full").mark(
                        f"queue-{field.replace('_', '-')}")
            if queue is None:
                members = ui.select(users, multiple=True, label="Members", value=[]).props(
                    "outlined dense use-chips").classes("w-full").mark("queue-members")

            async def save() -> None:
                values = {"strategy": strategy.value, **{f: whole(n.value) for f, n in numbers.items()}}
                if queue is None:
                    body = {"name": name.value or "", **values, "members": list(members.value or [])}
                    done = await context.attempt(self.service.create(self.principal, body))
                else:
                    changes = changed(values, queue)
                    if not changes:
                        ui.notify("Nothing to save.")
                        return
                    done = await context.attempt(self.service.update(self.principal, queue["name"], changes))
                if done is None:
                    return
                ui.notify(f"Queue {done['name']} saved.", type="positive")
                dialog.close()
                await self.load()

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Save", on_click=save).props("unelevated no-caps").mark("queue-save")
        dialog.open()

    async def members(self, name: str) -> None:
        await self._people(name, "members", await self._users(), "Members are offered the queue's conversations; "
                           "a removed member's offers are withdrawn, conversations they hold stay theirs.",
                           self.service.set_members)

    async def supervisors(self, name: str) -> None:
        await self._people(name, "supervisors", await self._users("supervisor"), "They see the queue and its "
                           "agents on the supervisor board; administrators see every queue.",
                           self.service.set_supervisors)

    async def _people(self, name: str, field: str, users: dict[str, str] | None, hint: str,
                      save_with: Callable[[Principal, str, list[str]], Awaitable[Any]]) -> None:
        """A dialog choosing the queue's `field` (members or supervisors) among `users`."""
        queue = self.queues.get(name)
        if queue is None or users is None:
            return
        title = field.capitalize()
        with context.dialog() as dialog, ui.card().classes("w-[520px] max-w-[95vw] gap-2"):
            ui.label(f"{title} of {name}").classes("text-lg font-medium")
            ui.label(hint).classes("xc-muted text-sm")
            chosen = ui.select(users, multiple=True, label=title, value=list(queue[field])).props(
                "outlined dense use-chips").classes("w-full").mark(f"queue-{field}")

            async def save() -> None:
                if await context.attempt(save_with(self.principal, name, list(chosen.value or []))) is None:
                    return
                ui.notify(f"{title} of {name} saved.", type="positive")
                dialog.close()
                await self.load()

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Save", on_click=save).props("unelevated no-caps").mark(f"queue-{field}-save")
        dialog.open()

    def delete(self, name: str) -> None:
        async def delete() -> bool:
            if not await succeeded(self.service.delete(self.principal, name)):
                return False
            ui.notify(f"Queue {name} deleted.", type="positive")
            await self.load()
            return True

        confirm(f"Delete the queue {name}?", "A queue that accounts route to, or with conversations on record, "
                "stays.", "queue-delete-confirm", delete)

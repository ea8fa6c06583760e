"""The Audit trail page (SPEC A3), for administrators: who changed or did what, and when, newest first; filters
by actor, action, target and dates; paging; an entry opens its values before and after side by side, the
changed ones highlighted. It only reads: the audit trail service decides what may be seen."""
from __future__ import annotations

import json
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.services.audit_trail import compare
from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import admin_door, title_row

PATH = "/admin/audit"
FORBIDDEN = "Only administrators can read the audit trail."
PAGE_SIZE = 25
COLUMNS = [{"name": n, "label": label, "field": n, "align": "left"} for n, label in (
    ("at", "When (UTC)"), ("actor", "Who"), ("action", "Action"), ("target", "Target"), ("changed", "Changed"))]
EVERY_ACTION = ""


async def audit_page() -> RedirectResponse | None:
    principal = await admin_door(PATH, forbidden=FORBIDDEN, marker="audit-forbidden")
    if isinstance(principal, Principal):
        await AuditPage(principal).build()
        return None
    return principal


def action_choices(actions: list[str]) -> dict[str, str]:
    """The action filter's choices: every action, and each group of them (`transfer.` = every transfer.*)."""
    groups = sorted({a.split(".")[0] + "." for a in actions if "." in a})
    choices = {EVERY_ACTION: "Every action"}
    for group in groups:
        choices[group] = f"{group}* (all)"
        choices.update({a: a for a in actions if a.startswith(group)})
    choices.update({a: a for a in actions if "." not in a})
    return choices


def shown(value: Any) -> str:
    """A before/after value as text: nothing is a dash, texts as they are, the rest as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class AuditPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.service = context.services().audit_trail
        self.page = 1
        self.total = 0
        self.entries: dict[int, dict[str, Any]] = {}

    async def build(self) -> None:
        title_row("Audit trail")
        with ui.row().classes("w-full items-end gap-2 px-4"):
            self.actor = ui.input("Who (username)").props("outlined dense clearable").classes("w-[170px]").mark(
                "audit-actor")
            self.action = ui.select({EVERY_ACTION: "Every action"}, value=EVERY_ACTION, label="Action").props(
                "outlined dense").classes("w-[240px]").mark("audit-action")
            self.target = ui.input("Target contains").props("outlined dense clearable").classes("w-[200px]").mark(
                "audit-target")
            self.since = ui.input("From").props("outlined dense type=date stack-label").classes("w-[160px]").mark(
                "audit-from")
            self.until = ui.input("To").props("outlined dense type=date stack-label").classes("w-[160px]").mark(
                "audit-to")
            for field in (self.actor, self.target):
                field.on("keydown.enter", lambda: context.run(self.search()))
            ui.button("Search", icon="search", on_click=lambda: context.run(self.search())).props(
                "unelevated no-caps").mark("audit-search")
            ui.button("Clear", on_click=lambda: context.run(self.clear())).props("flat no-caps").mark("audit-clear")
        self.table = ui.table(columns=COLUMNS, rows=[], row_key="id").props("flat dense").classes(
            "w-full px-4").mark("audit-table")
        self.table.on("rowClick", lambda event: self.open(event.args[1]))
        with ui.row().classes("w-full items-center gap-2 px-4 pb-4"):
            self.count = ui.label().classes("xc-muted text-sm").mark("audit-count")
            ui.space()
            self.previous = ui.button(icon="chevron_left", on_click=lambda: context.run(self.turn(-1))).props(
                "flat dense round").mark("audit-previous")
            self.where = ui.label().classes("text-sm").mark("audit-page")
            self.next = ui.button(icon="chevron_right", on_click=lambda: context.run(self.turn(1))).props(
                "flat dense round").mark("audit-next")
        await self.load_actions()
        await self.load()

    async def load_actions(self) -> None:
        actions = await context.attempt(self.service.actions(self.principal))
        if actions is not None:
            choices = action_choices(actions)
            self.action.set_options(choices, value=self.action.value if self.action.value in choices else EVERY_ACTION)

    async def search(self) -> None:
        self.page = 1
        await self.load()

    async def clear(self) -> None:
        for field in (self.actor, self.target, self.since, self.until):
            field.set_value("")
        self.action.set_value(EVERY_ACTION)
        await self.search()

    async def turn(self, step: int) -> None:
        self.page = max(1, self.page + step)
        await self.load()

    async def load(self) -> None:
        found = await context.attempt(self.service.search(
            self.principal, actor=self.actor.value or None, action=self.action.value or None,
            target=self.target.value or None, since=self.since.value or None, until=self.until.value or None,
            page=self.page, page_size=PAGE_SIZE))
        if found is None:
            return
        self.total = found["total"]
        self.entries = {e["id"]: e for e in found["items"]}
        self.table.rows = [{"id": e["id"], "at": (e["at"] or "").replace("T", " ")[:19], "actor": e["actor"],
                            "action": e["action"], "target": e["target"], "changed": ", ".join(e["changed"])}
                           for e in found["items"]]
        self.table.update()
        pages = max(1, -(-self.total // PAGE_SIZE))
        self.count.set_text(f"{self.total} entr{'y' if self.total == 1 else 'ies'}")
        self.where.set_text(f"Page {self.page} of {pages}")
        self.previous.set_enabled(self.page > 1)
        self.next.set_enabled(self.page < pages)

    def open(self, row: dict[str, Any]) -> None:
        entry = self.entries.get(int(row["id"]))
        if entry is not None:
            entry_dialog(entry)


def entry_dialog(entry: dict[str, Any]) -> None:
    """The entry's values before and after, side by side; lines whose value changed are highlighted."""
    with context.dialog() as dialog, ui.card().classes("xc-card p-4 min-w-[640px] max-w-[960px]"):
        ui.label(f"{entry['action']} · {entry['target']}").classes("text-base font-semibold").mark("audit-entry")
        ui.label(f"by {entry['actor'] or 'unknown'} at {(entry['at'] or '').replace('T', ' ')}").classes(
            "xc-muted text-sm")
        lines = compare(entry["before"], entry["after"])
        if not lines:
            ui.label("No values were recorded for this entry.").classes("text-sm")
        with ui.grid(columns="minmax(120px, auto) 1fr 1fr").classes("w-full gap-x-4 gap-y-1 items-start"):
            for heading in ("Field", "Before", "After"):
                ui.label(heading).classes("text-xs xc-muted font-medium uppercase")
            for line in lines:
                style = "bg-amber-2 rounded px-1 font-medium" if line["changed"] else "px-1"
                marks = f"audit-line-{line['key']}" + (" audit-changed" if line["changed"] else "")
                ui.label(line["key"]).classes(style).mark(marks)
                for side in ("before", "after"):
                    ui.label(shown(line[side])).classes(f"{style} break-all whitespace-pre-wrap").mark(
                        f"audit-{side}-{line['key']}")
        with ui.row().classes("w-full justify-end"):
            ui.button("Close", on_click=dialog.close).props("flat no-caps").mark("audit-entry-close")
    dialog.open()

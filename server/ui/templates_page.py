"""The Templates page (SPEC T3), for administrators: every message template with its language, category,
whether agents may send it and its state on each account; create and edit with a live preview, delete,
sync Meta's review statuses, submit to Meta, link a Twilio Content SID. The rules are the template
service's; the page renders what it answers."""
from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import admin_door
from server.ui.template_dialogs import content_sid_dialog, delete_dialog, edit_dialog, submit_dialog

COLUMNS = [
    {"name": "name", "label": "Name", "field": "name", "align": "left"},
    {"name": "language", "label": "Language", "field": "language", "align": "left"},
    {"name": "category", "label": "Category", "field": "category", "align": "left"},
    {"name": "agents", "label": "For agents", "field": "agents", "align": "left"},
    {"name": "accounts", "label": "On accounts", "field": "accounts", "align": "left",
     "style": "max-width: 360px; white-space: normal"},
    {"name": "actions", "label": "", "field": "id", "align": "right"},
]
# Icons with their names on hover, kept on one line: the table fits a 1366 px window (SPEC D10).
ACTIONS_CELL = """<q-td :props="props" auto-width><div class="row no-wrap justify-end">
 <q-btn flat dense round icon="edit" color="primary" title="Edit"
  @click.stop="() => $parent.$emit('edit', props.row)" />
 <q-btn v-if="props.row.meta" flat dense round icon="send" title="Submit to Meta"
  @click.stop="() => $parent.$emit('submit', props.row)" />
 <q-btn v-if="props.row.twilio" flat dense round icon="link" title="Content SID"
  @click.stop="() => $parent.$emit('sid', props.row)" />
 <q-btn flat dense round icon="delete" color="negative" title="Delete"
  @click.stop="() => $parent.$emit('delete', props.row)" />
</div></q-td>"""
FORBIDDEN = "Only administrators can manage message templates."
PATH = "/admin/templates"


async def templates_page() -> RedirectResponse | None:
    principal = await admin_door(PATH, forbidden=FORBIDDEN, marker="templates-forbidden")
    if isinstance(principal, Principal):
        await TemplatesPage(principal).build()
        return None
    return principal


class TemplatesPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.service = context.services().templates
        self.templates: dict[int, dict[str, Any]] = {}
        self.accounts: list[dict[str, str]] = []

    @property
    def meta_accounts(self) -> list[str]:
        return [a["key"] for a in self.accounts if a["provider"] == "meta"]

    @property
    def twilio_accounts(self) -> list[str]:
        return [a["key"] for a in self.accounts if a["provider"] == "twilio"]

    async def build(self) -> None:
        self.accounts = await self.service.provider_accounts(self.principal)
        with ui.row().classes("w-full items-center gap-2 px-4 pt-3"):
            ui.label("Message templates").classes("text-lg font-medium")
            ui.space()
            for key in self.meta_accounts:
                ui.button(f"Sync from Meta ({key})", icon="sync", on_click=lambda k=key: self.sync(k)).props(
                    "flat no-caps").mark(f"templates-sync-{key}")
            ui.button("New template", icon="add", on_click=lambda: edit_dialog(self, None)).props(
                "unelevated no-caps").mark("templates-new")
        self.table = ui.table(columns=COLUMNS, rows=[], row_key="id").props("flat dense wrap-cells").classes(
            "w-full px-4").mark("templates-table")
        self.table.add_slot("body-cell-actions", ACTIONS_CELL)
        self.table.on("rowClick", lambda event: self._open(edit_dialog, event.args[1]))
        self.table.on("edit", lambda event: self._open(edit_dialog, event.args))
        self.table.on("submit", lambda event: self._open(submit_dialog, event.args))
        self.table.on("sid", lambda event: self._open(content_sid_dialog, event.args))
        self.table.on("delete", lambda event: self._open(delete_dialog, event.args))
        self.count = ui.label().classes("xc-muted text-sm px-4").mark("templates-count")
        await self.load()

    async def _open(self, dialog: Any, row: dict[str, Any]) -> None:
        template = self.templates.get(int(row["id"]))
        if template is not None:
            await dialog(self, template)

    async def load(self) -> None:
        found = await context.attempt(self.service.templates(self.principal))
        if found is None:
            return
        self.templates = {t["id"]: t for t in found}
        self.table.rows = [self._row(t) for t in found]
        self.table.update()
        self.count.set_text(f"{len(found)} template{'s' if len(found) != 1 else ''}")

    async def sync(self, account: str) -> None:
        summary = await context.attempt(self.service.sync_meta(self.principal, account))
        if summary is None:
            return
        counts = ", ".join(f"{len(summary[k])} {k}" for k in ("updated", "created", "skipped", "removed"))
        ui.notify(f"Synced from Meta ({account}): {counts}.", type="positive")
        await self.load()
        if summary["skipped"]:
            with context.dialog() as dialog, ui.card().classes("w-[560px] max-w-[95vw]"):
                ui.label("Not taken from Meta").classes("text-lg font-medium")
                for skipped in summary["skipped"]:
                    ui.label(f"{skipped['name']} ({skipped['language']}): {skipped['reason']}.").classes(
                        "text-sm").mark("templates-skipped")
                with ui.row().classes("w-full justify-end"):
                    ui.button("OK", on_click=dialog.close).props("flat")
            dialog.open()

    def _row(self, template: dict[str, Any]) -> dict[str, Any]:
        return {"id": template["id"], "name": template["name"], "language": template["language"],
                "category": template["category"], "agents": "Yes" if template["available_for_agents"] else "No",
                "accounts": accounts_text(template), "meta": bool(self.meta_accounts),
                "twilio": bool(self.twilio_accounts)}


def accounts_text(template: dict[str, Any]) -> str:
    """Each account's state: Meta's review status (and reason), or the Twilio Content SID."""
    parts = []
    for key, review in sorted(template["statuses"].items()):
        reason = f" ({review['reason']})" if review.get("reason") else ""
        parts.append(f"{key}: {review.get('status')}{reason}")
    for key, sid in sorted(template["provider_ids"].items()):
        if key not in template["statuses"]:
            parts.append(f"{key}: {sid}")
    if template["recontact_for"]:
        parts.append(f"recontact of {', '.join(template['recontact_for'])}")
    return "; ".join(parts) or "—"

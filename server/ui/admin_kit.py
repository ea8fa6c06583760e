"""What every administration page shares: the door (signed out goes to sign in, other roles get a card saying
the page is for administrators), the page title row, table action cells, and the confirm dialog. The rules
stay in the services: these helpers only draw and pass on what the services answer."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.services.auth import Principal
from server.ui import context
from server.ui.admin_nav import admin_header
from server.ui.theme import apply_theme

FORBIDDEN = "Only administrators can open this page."


async def admin_door(path: str, *, forbidden: str = FORBIDDEN, marker: str = "admin-forbidden",
                     roles: tuple[str, ...] = ("admin",)) -> Principal | RedirectResponse | None:
    """Themes the page and draws its header. Answers the user to build the page for (one of `roles`); a
    redirect to sign in for a signed-out browser; None once anyone else was shown the `forbidden` card."""
    principal = await context.page_principal()
    if principal is None:
        return RedirectResponse(f"/login?next_path={path}")
    apply_theme()
    admin_header(principal, path)
    if principal.role not in roles:
        forbidden_card(forbidden, marker)
        return None
    return principal


def forbidden_card(text: str, marker: str) -> None:
    with ui.card().classes("xc-card m-6 p-6"):
        ui.label(text).classes("text-base").mark(marker)
        ui.link("Back to the desk", "/").classes("text-primary")


def title_row(title: str) -> ui.row:
    """The page's title with room on the right for its buttons (enter the returned row to add them)."""
    with ui.row().classes("w-full items-center gap-2 px-4 pt-3") as row:
        ui.label(title).classes("text-lg font-medium")
        ui.space()
    return row


@dataclass(frozen=True)
class Action:
    """A button in a table row that emits `event` with the row."""

    event: str
    label: str
    icon: str
    color: str = "primary"
    only_if: str = ""  # a row field: the button shows only where it is true


def actions_cell(*actions: Action) -> str:
    """The body slot of an "actions" column: one flat button per action, kept on one line."""
    buttons = []
    for action in actions:
        condition = f' v-if="props.row.{action.only_if}"' if action.only_if else ""
        label = f' label="{action.label}"' if action.label else ""
        buttons.append(f'<q-btn{condition} flat dense no-caps no-wrap icon="{action.icon}"{label} '
                       f'color="{action.color}" @click.stop="() => $parent.$emit(\'{action.event}\', props.row)" />')
    return ('<q-td :props="props" auto-width><div class="row no-wrap justify-end">\n' + "\n".join(buttons)
            + "\n</div></q-td>")


def columns(*named: tuple[str, str]) -> list[dict[str, Any]]:
    """Left-aligned table columns from (field, label) pairs; a field "actions" is right-aligned."""
    return [{"name": field, "label": label, "field": field, "align": "right" if field == "actions" else "left"}
            for field, label in named]


def page_table(table_columns: list[dict[str, Any]], row_key: str, marker: str, actions: str,
               pagination: int | None = None) -> ui.table:
    """The page's main table across its width, with its actions column."""
    with ui.element("div").classes("w-full px-4"):
        table = ui.table(columns=table_columns, rows=[], row_key=row_key, pagination=pagination).props(
            "flat dense wrap-cells").classes("w-full").mark(marker)
    table.add_slot("body-cell-actions", actions)
    return table


async def succeeded(action: Awaitable[Any]) -> bool:
    """Await a service call that answers nothing (a delete); a refusal becomes a notice and False."""
    async def call() -> bool:
        await action
        return True

    return bool(await context.attempt(call()))


def confirm(question: str, detail: str, marker: str, action: Callable[[], Awaitable[bool]],
            label: str = "Delete") -> None:
    """Ask before an irreversible change; the dialog closes only when `action` answers True (a refusal is a
    notice and the dialog stays)."""
    with context.dialog() as dialog, ui.card().classes("w-[480px] max-w-[95vw]"):
        ui.label(question).classes("text-lg font-medium")
        if detail:
            ui.label(detail).classes("xc-muted text-sm")

        async def go() -> None:
            if await action():
                dialog.close()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
            ui.button(label, on_click=go).props("unelevated no-caps color=negative").mark(marker)
    dialog.open()


def changed(values: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    """Only the values that differ from the original (a new row: all of them)."""
    if not original:
        return values
    return {key: value for key, value in values.items() if value != original.get(key)}


def whole(value: Any) -> Any:
    """A number input's value as the int the services take; anything else (a fraction, text) as given, for
    the service to refuse with its message."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value

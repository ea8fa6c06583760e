"""The Accounts page (SPEC A1, A2): every provider account (key, provider, name, number, queue, window length,
recontact template, and its credentials only as the service shows them: set or not, with a masked hint);
create one with the credential fields of the chosen provider, edit one (an empty credential field keeps what
is stored), delete one. The account admin service checks and refuses; the page shows its answers."""
from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.services.account_admin import CREDENTIALS, MAX_WINDOW_HOURS, PROVIDERS
from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import (Action, actions_cell, admin_door, changed, columns, confirm, page_table, succeeded,
                                 title_row, whole)

PATH = "/admin/accounts"
COLUMNS = columns(("key", "Key"), ("provider", "Provider"), ("name", "Name"), ("phone_number", "Number"),
                  ("queue", "Queue"), ("window", "Window"), ("recontact_template", "Recontact template"),
                  ("credentials", "Credentials"), ("actions", ""))
ACTIONS = actions_cell(Action("edit", "Edit", "edit"), Action("delete", "", "delete", "negative"))
NO_TEMPLATE = ""


async def accounts_page() -> RedirectResponse | None:
    principal = await admin_door(PATH)
    if isinstance(principal, Principal):
        await AccountsPage(principal).build()
        return None
    return principal


def credentials_text(credentials: dict[str, dict[str, Any]]) -> str:
    """Each credential as the service shows it: its masked hint, or that it is not set."""
    parts = []
    for name, shown in credentials.items():
        hint = shown["hint"]
        if not shown["set"]:
            hint = "not set"
        elif isinstance(hint, bool):
            hint = "yes" if hint else "no"
        parts.append(f"{name}: {hint}")
    return "; ".join(parts) or "—"


def window_text(hours: int | None) -> str:
    if hours is None:
        return "provider's rule"
    return "none" if hours == 0 else f"{hours} h"


class AccountsPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.services = context.services()
        self.service = self.services.account_admin
        self.accounts: dict[str, dict[str, Any]] = {}

    async def build(self) -> None:
        with title_row("Provider accounts"):
            ui.button("New account", icon="add", on_click=lambda: self.edit(None)).props(
                "unelevated no-caps").mark("accounts-new")
        self.table = page_table(COLUMNS, "key", "accounts-table", ACTIONS)
        self.table.on("edit", lambda event: self.edit(self.accounts.get(event.args["key"])))
        self.table.on("delete", lambda event: self.delete(event.args["key"]))
        await self.load()
        await UnroutedList(self.principal).build()

    async def load(self) -> None:
        found = await context.attempt(self.service.list(self.principal))
        if found is None:
            return
        self.accounts = {a["key"]: a for a in found}
        self.table.rows = [{"key": a["key"], "provider": a["provider"], "name": a["name"],
                            "phone_number": a["phone_number"], "queue": a["queue"] or "—",
                            "window": window_text(a["window_hours"]),
                            "recontact_template": a["recontact_template"] or "—",
                            "credentials": credentials_text(a["credentials"])} for a in found]
        self.table.update()

    async def _choices(self) -> tuple[list[str], list[str]] | None:
        queues = await context.attempt(self.services.queue_admin.list(self.principal))
        templates = await context.attempt(self.services.templates.templates(self.principal))
        if queues is None or templates is None:
            return None
        return [q["name"] for q in queues], [t["name"] for t in templates]

    async def edit(self, account: dict[str, Any] | None) -> None:
        choices = await self._choices()
        if choices is None:
            return
        queues, templates = choices
        AccountDialog(self, account, queues, templates).open()

    def delete(self, key: str) -> None:
        async def delete() -> bool:
            if not await succeeded(self.service.delete(self.principal, key)):
                return False
            ui.notify(f"Account {key} deleted.", type="positive")
            await self.load()
            return True

        confirm(f"Delete the account {key}?", "Its webhooks stop working. An account with conversations or "
                "campaigns on record stays.", "account-delete-confirm", delete)


class AccountDialog:
    """A new account (key and provider fixed from then on) or an existing one; the credential fields follow
    the provider."""

    def __init__(self, page: AccountsPage, account: dict[str, Any] | None, queues: list[str],
                 templates: list[str]) -> None:
        self.page, self.account = page, account
        self.queues, self.templates = queues, templates
        self.secrets: dict[str, Any] = {}

    def open(self) -> None:
        account = self.account or {}
        with context.dialog() as self.dialog, ui.card().classes("w-[560px] max-w-[95vw] gap-2"):
            ui.label(f"Edit the account {account['key']} ({account['provider']})" if account else "New account"
                     ).classes("text-lg font-medium")
            if not account:
                with ui.row().classes("w-full no-wrap gap-2"):
                    self.key = ui.input("Key (in the webhook URL)").props("outlined dense").classes(
                        "w-1/2").mark("account-key")
                    self.provider = ui.select(list(PROVIDERS), label="Provider", value="meta",
                                              on_change=self._show_credentials).props("outlined dense").classes(
                        "w-1/2").mark("account-provider")
            self.name = ui.input("Name", value=account.get("name", "")).props("outlined dense").classes(
                "w-full").mark("account-name")
            self.phone = ui.input("Number (international, e.g. +14155550123)", value=account.get("phone_number", "")
                                  ).props("outlined dense").classes("w-full").mark("account-phone")
            self.queue = ui.select(self.queues, label="Queue", value=account.get("queue")).props(
                "outlined dense").classes("w-full").mark("account-queue")
            with ui.row().classes("w-full no-wrap gap-2"):
                self.window = ui.number(f"Window (hours, 0-{MAX_WINDOW_HOURS}; empty: provider's rule)",
                                        value=account.get("window_hours")).props("outlined dense clearable").classes(
                    "w-1/2").mark("account-window")
                self.recontact = ui.select({NO_TEMPLATE: "None", **{t: t for t in self.templates}},
                                           label="Recontact template",
                                           value=account.get("recontact_template") or NO_TEMPLATE).props(
                    "outlined dense").classes("w-1/2").mark("account-recontact")
            self.api_base = ui.input("API base URL (empty: the provider's own)", value=account.get("api_base_url", "")
                                     ).props("outlined dense").classes("w-full").mark("account-api-base")
            ui.label("Credentials").classes("font-medium pt-1")
            if account:
                ui.label("Leave a field empty to keep what is stored.").classes("xc-muted text-sm")
            self.credentials = ui.column().classes("w-full gap-1")
            self._show_credentials()
            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=self.dialog.close).props("flat no-caps")
                ui.button("Save", on_click=self.save).props("unelevated no-caps").mark("account-save")
        self.dialog.open()

    @property
    def provider_name(self) -> str:
        return self.account["provider"] if self.account else str(self.provider.value)

    def _show_credentials(self) -> None:
        stored = self.account["credentials"] if self.account else {}
        self.credentials.clear()
        self.secrets = {}
        with self.credentials:
            specs = CREDENTIALS.get(self.provider_name, ())
            if not specs:
                ui.label("This provider needs no credentials.").classes("xc-muted text-sm")
            for spec in specs:
                shown = stored.get(spec.name, {"set": False, "hint": None})
                marker = f"account-credential-{spec.name}"
                if spec.flag:
                    self.secrets[spec.name] = ui.switch(spec.name.replace("_", " "), value=bool(shown["hint"])
                                                        ).mark(marker)
                    continue
                label = spec.name + ("" if spec.required else " (optional)")
                hint = f"stored: {shown['hint']}" if shown["set"] else "not set"
                self.secrets[spec.name] = ui.input(label, password=True, password_toggle_button=True).props(
                    f'outlined dense hint="{hint}"' if self.account else "outlined dense").classes("w-full").mark(
                    marker)

    def _credentials(self) -> dict[str, Any]:
        """New: every field given. Edit: only the fields typed in (and switches that changed)."""
        stored = self.account["credentials"] if self.account else {}
        out: dict[str, Any] = {}
        for name, element in self.secrets.items():
            if isinstance(element, ui.switch):
                if not self.account or bool(element.value) != bool(stored.get(name, {}).get("hint")):
                    out[name] = bool(element.value)
            elif (element.value or "").strip():
                out[name] = element.value.strip()
        return out

    async def save(self) -> None:
        values: dict[str, Any] = {"name": self.name.value or "", "phone_number": self.phone.value or "",
                                  "queue": self.queue.value, "window_hours": whole(self.window.value),
                                  "recontact_template": self.recontact.value or None,
                                  "api_base_url": self.api_base.value or ""}
        service, principal = self.page.service, self.page.principal
        if self.account is None:
            body = {"key": self.key.value or "", "provider": self.provider.value, **values,
                    "credentials": self._credentials()}
            done = await context.attempt(service.create(principal, body))
        else:
            body = changed(values, self.account)
            credentials = self._credentials()
            if credentials:
                body["credentials"] = credentials
            if not body:
                ui.notify("Nothing to save.")
                return
            done = await context.attempt(service.update(principal, self.account["key"], body))
        if done is None:
            return
        ui.notify(f"Account {done['key']} saved.", type="positive")
        self.dialog.close()
        await self.page.load()


UNROUTED_COLUMNS = columns(("received_at", "Received"), ("account", "Came to"), ("provider", "Provider"),
                           ("reason", "Why no conversation took it"), ("actions", "As delivered"))


class UnroutedList:
    """What providers delivered that no conversation took: acknowledged to them, shown here with the reason
    and the item as it came, newest first (the latest 50)."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    async def build(self) -> None:
        with ui.row().classes("w-full items-center px-4 pt-6"):
            ui.label("Deliveries no conversation took").classes("text-lg font-medium")
            ui.button(icon="refresh", on_click=self.load).props("flat round dense").mark("unrouted-refresh")
        self.table = page_table(UNROUTED_COLUMNS, "id", "unrouted-table", r"""
            <q-td :props="props"><details><summary>{{ props.row.payload.slice(0, 60) }}…</summary>
            <pre style="white-space:pre-wrap;max-width:640px">{{ props.row.payload }}</pre></details></q-td>""")
        await self.load()

    async def load(self) -> None:
        found = await context.attempt(context.services().account_admin.unrouted(self.principal))
        if found is not None:
            self.table.rows = [{**item, "account": item["account"] or "—"} for item in found["items"]]
            self.table.update()

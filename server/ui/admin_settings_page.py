"""The Settings page (SPEC A2): transfer on or off and to whom, the agent timeout, attachments on or off and
their largest size, tabs per agent, when an agent without a desk page goes offline, masking of phone, email
and name, and the default region of national numbers, whether the customer simulator may be used, and when sign-ins end. Save sends only what was changed; the settings service checks it and the page shows its refusal."""
from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import admin_door, title_row, whole

PATH = "/admin/settings"
TRANSFER_TO = {"agents": "Agents", "queues": "Queues", "both": "Agents and queues"}
MASKING = {"none": "Shown", "partial": "Partly hidden", "full": "Hidden"}

# (setting, part or "" for a setting that is one value) of every field of the form
FIELDS = [("transfer", "enabled"), ("transfer", "to"), ("agent_timeout", ""), ("attachments", "enabled"),
          ("attachments", "max_mb"), ("max_tabs", ""), ("masking", "phone"), ("masking", "email"),
          ("masking", "name"), ("default_region", ""), ("simulator", "enabled"), ("sessions", "idle_minutes"),
          ("sessions", "max_hours"), ("presence", "grace_seconds")]


async def settings_page() -> RedirectResponse | None:
    principal = await admin_door(PATH)
    if isinstance(principal, Principal):
        await SettingsPage(principal).build()
        return None
    return principal


def _read(settings: dict[str, Any], key: str, part: str) -> Any:
    return settings[key][part] if part else settings[key]


def changes(saved: dict[str, Any], shown: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """The partial update the service takes: for each setting only the parts whose shown value differs."""
    out: dict[str, Any] = {}
    for (key, part), value in shown.items():
        if value == _read(saved, key, part):
            continue
        if part:
            out.setdefault(key, {})[part] = value
        else:
            out[key] = value
    return out


class SettingsPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.service = context.services().admin
        self.saved: dict[str, Any] = {}
        self.inputs: dict[tuple[str, str], Any] = {}

    async def build(self) -> None:
        self.saved = self.service.read_settings(self.principal)  # the door let only administrators in
        title_row("Workspace settings")
        with ui.grid(columns=2).classes("px-4 pb-6 gap-4 w-full max-w-[1100px]"):
            with self._section("Transfers"):
                self._field(ui.switch("Agents may transfer conversations"), "transfer", "enabled")
                self._field(ui.select(TRANSFER_TO, label="Transfer to").props("outlined dense").classes("w-[260px]"),
                            "transfer", "to")
            with self._section("Agents"):
                self._field(ui.number("Agent timeout (seconds, 5-3600)").props("outlined dense").classes(
                    "w-[260px]"), "agent_timeout", "")
                self._field(ui.number("Most tabs per agent (1-100)").props("outlined dense").classes("w-[260px]"),
                            "max_tabs", "")
                self._field(ui.number("Offline after the desk is closed (seconds, 5-600)").props(
                    "outlined dense").classes("w-[320px]"), "presence", "grace_seconds")
                ui.label("An agent whose last desk page is closed or lost goes offline after this long; "
                         "signing out sets them offline at once.").classes("xc-muted text-sm")
            with self._section("Attachments"):
                self._field(ui.switch("Agents may send attachments"), "attachments", "enabled")
                self._field(ui.number("Largest attachment (MB, 1-25)").props("outlined dense").classes(
                    "w-[260px]"), "attachments", "max_mb")
            with self._section("Masking of sensitive data"):
                with ui.row().classes("gap-3"):
                    for part, label in (("phone", "Phone numbers"), ("email", "Email addresses"),
                                        ("name", "Names")):
                        self._field(ui.select(MASKING, label=label).props("outlined dense").classes("w-[180px]"),
                                    "masking", part)
            with self._section("Phone numbers"):
                self._field(ui.input("Default region (e.g. IT, US; empty: none)").props(
                    "outlined dense").classes("w-[320px]"), "default_region", "")
                ui.label("The country of numbers typed without a country code.").classes("xc-muted text-sm")
            with self._section("Sign-in sessions"):
                self._field(ui.number("Signed out after idle (minutes, 5-1440)").props("outlined dense").classes(
                    "w-[260px]"), "sessions", "idle_minutes")
                self._field(ui.number("Signed out after at most (hours, 1-720)").props("outlined dense").classes(
                    "w-[260px]"), "sessions", "max_hours")
            with self._section("Testing"):
                self._field(ui.switch("Customer simulator"), "simulator", "enabled")
                ui.label("Administrators play customers of sandbox accounts on /simulator: they read and write "
                         "those conversations as the customer. Keep it off in production.").classes(
                    "xc-muted text-sm")
            with ui.row().classes("w-full justify-end col-span-2"):
                ui.button("Save", icon="save", on_click=self.save).props("unelevated no-caps").mark(
                    "settings-save")
        self._show(self.saved)

    @staticmethod
    def _section(title: str) -> ui.column:
        with ui.column().classes("xc-card p-4 gap-2 w-full") as section:
            ui.label(title).classes("text-base font-semibold")
        return section

    def _field(self, element: Any, key: str, part: str) -> None:
        marker = f"setting-{key}-{part}" if part else f"setting-{key}"
        self.inputs[(key, part)] = element.mark(marker.replace("_", "-"))

    def _show(self, settings: dict[str, Any]) -> None:
        for (key, part), element in self.inputs.items():
            element.set_value(_read(settings, key, part))

    def shown(self) -> dict[tuple[str, str], Any]:
        values = {}
        for (key, part), element in self.inputs.items():
            value = element.value
            if isinstance(element, ui.number):
                value = whole(value)
            elif isinstance(element, ui.input):
                value = (value or "").strip()
            values[(key, part)] = value
        return values

    async def save(self) -> None:
        update = changes(self.saved, self.shown())
        if not update:
            ui.notify("Nothing to save.")
            return
        saved = await context.attempt(self.service.update_settings(self.principal, update))
        if saved is None:
            return
        self.saved = saved
        self._show(saved)
        ui.notify("Settings saved.", type="positive")

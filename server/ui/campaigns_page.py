"""The Campaigns page (SPEC T5), for admins: the campaigns, a dialog to create one (a list and its tags, an
account, a template with each variable mapped to a contact field or a fixed text, a rate), and the open
campaign with its totals, pushed live while it sends, its buttons and its recipients. The rules are the
campaign service's."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.domain.events import CampaignProgress, Event
from server.domain.phone import readable_phone
from server.persistence.campaign_queries import STATES
from server.services.auth import Principal
from server.ui import context
from server.ui.admin_kit import admin_door

ACTIONS = {"draft": ("start", "cancel"), "running": ("pause", "cancel"), "paused": ("resume", "cancel")}
TEXT = "text:"
RECIPIENT_PAGE = 50
FORBIDDEN = "Only administrators run campaigns."
PATH = "/admin/campaigns"
CAMPAIGN_COLUMNS = [{"name": n, "label": label, "field": n, "align": "left"} for n, label in (
    ("name", "Name"), ("state", "State"), ("account", "Account"), ("list", "List"), ("template", "Template"),
    ("rate", "Rate/s"), ("progress", "Sent / all"))]
RECIPIENT_COLUMNS = [{"name": n, "label": label, "field": n, "align": "left"} for n, label in (
    ("name", "Contact"), ("phone", "Number"), ("state", "State"), ("reason", "Reason"))]


async def campaigns_page() -> RedirectResponse | None:
    principal = await admin_door(PATH, forbidden=FORBIDDEN, marker="campaigns-forbidden")
    if isinstance(principal, Principal):
        await CampaignsPage(principal).build()
        return None
    return principal


class CampaignsPage:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.services = context.services()
        self.opened: int | None = None
        self._unsubscribe = lambda: None

    async def build(self) -> None:
        with ui.row().classes("w-full no-wrap gap-4 p-4 items-start"):
            with ui.column().classes("xc-card p-3 w-[560px] gap-2"):
                with ui.row().classes("w-full items-center"):
                    ui.label("Campaigns").classes("text-base font-semibold")
                    ui.space()
                    ui.button("New campaign", icon="add", on_click=self.create_dialog).props(
                        "unelevated no-caps").mark("campaign-new")
                self.table = ui.table(columns=CAMPAIGN_COLUMNS, rows=[], row_key="id").props(
                    "flat dense").classes("w-full").mark("campaign-table")
                self.table.on("rowClick", lambda event: context.run(self.open(event.args[1]["id"])))
            self.detail = ui.column().classes("xc-card p-3 flex-grow gap-2").mark("campaign-detail")
            self.detail.set_visibility(False)
        await self.load()

    async def load(self) -> None:
        campaigns = await context.attempt(self.services.campaigns.list(self.principal))
        if campaigns is None:
            return
        self.table.rows = [{"id": c["id"], "name": c["name"], "state": c["state"], "account": c["account"],
                            "list": c["list"], "template": c["template"], "rate": c["rate"],
                            "progress": _progress(c["totals"])} for c in campaigns]
        self.table.update()

    async def open(self, campaign_id: int) -> None:
        """Show the campaign, and follow its progress until another is opened or the page goes."""
        view = await context.attempt(self.services.campaigns.get(self.principal, campaign_id,
                                                                 page_size=RECIPIENT_PAGE))
        if view is None:
            return
        self._unsubscribe()
        self.opened = campaign_id
        self.detail.clear()
        self.detail.set_visibility(True)
        with self.detail:
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(view["name"]).classes("text-base font-semibold").mark("campaign-name")
                self.state = ui.badge(view["state"]).mark("campaign-state")
                ui.label(f"{view['template']} · {view['account']} · {view['list']}"
                         f"{' · tags ' + ', '.join(view['tags']) if view['tags'] else ''} · {view['rate']:g}/s"
                         ).classes("xc-muted text-sm")
            with ui.row().classes("gap-4"):
                self.totals = {}
                for state in STATES:
                    with ui.column().classes("gap-0 items-center"):
                        self.totals[state] = ui.label(str(view["totals"][state])).classes(
                            "text-lg font-semibold").mark(f"total-{state}")
                        ui.label(state).classes("xc-muted text-xs")
            self.buttons = ui.row().classes("gap-2")
            self.filter = ui.select({"": "Every contact", **{s: s.capitalize() for s in STATES}}, value="",
                                    on_change=lambda: context.run(self.load_recipients())).props(
                "outlined dense").classes("w-[180px]").mark("recipient-filter")
            self.recipients = ui.table(columns=RECIPIENT_COLUMNS, rows=_recipient_rows(view),
                                       row_key="id").props("flat dense").classes("w-full").mark("recipient-table")
        self._show_buttons(view["state"])
        self._unsubscribe = context.subscribe(f"campaign:{campaign_id}", self.on_event)

    def _show_buttons(self, state: str) -> None:
        self.buttons.clear()
        with self.buttons:
            for action in ACTIONS.get(state, ()):
                ui.button(action.capitalize(), on_click=self._doing(action)).props(
                    f"unelevated no-caps {'color=negative' if action == 'cancel' else ''}").mark(f"campaign-{action}")

    def _doing(self, action: str) -> Callable[[], None]:
        return lambda: context.run(self.act(action))

    async def act(self, action: str) -> None:
        if self.opened is None:
            return
        view = await context.attempt(self.services.campaigns.act(self.principal, self.opened, action))
        if view is not None:
            self._show_progress(view["state"], view["totals"])
            await self.load()

    def on_event(self, event: Event) -> None:
        if isinstance(event, CampaignProgress) and event.campaign_id == self.opened:
            self._show_progress(event.state, event.totals)
            context.run(self.load_recipients())

    def _show_progress(self, state: str, totals: dict[str, int]) -> None:
        if self.state.text != state:
            self.state.set_text(state)
            self._show_buttons(state)
            context.run(self.load())
        for name, label in self.totals.items():
            label.set_text(str(totals.get(name, 0)))

    async def load_recipients(self) -> None:
        if self.opened is None:
            return
        view = await context.attempt(self.services.campaigns.get(
            self.principal, self.opened, page_size=RECIPIENT_PAGE, state=self.filter.value or None))
        if view is not None:
            self.recipients.rows = _recipient_rows(view)
            self.recipients.update()

    async def create_dialog(self) -> None:
        choices = await context.attempt(self.services.campaigns.choices(self.principal))
        if choices is not None:
            CreateDialog(self, choices).open()


class CreateDialog:
    """The fields of a new campaign; the template's variables get one source each."""

    def __init__(self, page: CampaignsPage, choices: dict[str, Any]) -> None:
        self.page, self.choices = page, choices
        self.fields = {item["name"]: item["fields"] for item in choices["lists"]}
        self.variables = {item["name"]: item["variables"] for item in choices["templates"]}
        self.sources: list[tuple[ui.select, ui.input]] = []

    def open(self) -> None:
        with context.dialog() as self.dialog, ui.card().classes("w-[560px] gap-2"):
            ui.label("New campaign").classes("text-base font-semibold")
            self.name = ui.input("Name").props("outlined dense").classes("w-full").mark("campaign-name-input")
            self.list = ui.select(list(self.fields), label="Contact list",
                                  on_change=self._show_variables).props("outlined dense").classes(
                "w-full").mark("campaign-list")
            self.tags = ui.select(self.choices["tags"], multiple=True, label="Only contacts with these tags").props(
                "outlined dense use-chips").classes("w-full").mark("campaign-tags")
            self.account = ui.select(self.choices["accounts"], label="Account").props("outlined dense").classes(
                "w-full").mark("campaign-account")
            self.template = ui.select(list(self.variables), label="Template", on_change=self._show_variables).props(
                "outlined dense").classes("w-full").mark("campaign-template")
            self.mapping = ui.column().classes("w-full gap-1")
            self.rate = ui.number("Messages per second", value=5, min=0.1, max=80, step=0.1).props(
                "outlined dense").classes("w-full").mark("campaign-rate")
            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=self.dialog.close).props("flat no-caps")
                ui.button("Create", on_click=lambda: context.run(self.create())).props(
                    "unelevated no-caps").mark("campaign-create")
        self.dialog.open()

    def _show_variables(self) -> None:
        """One select per {{n}} of the chosen template: a contact field, a field of the list, or a fixed text."""
        self.mapping.clear()
        self.sources = []
        options = {f: f.replace("_", " ").capitalize() for f in self.choices["contact_fields"]}
        options.update({f"field:{f}": f"{f} (list field)" for f in self.fields.get(self.list.value, [])})
        options[TEXT] = "Fixed text"
        with self.mapping:
            for n in range(1, self.variables.get(self.template.value, 0) + 1):
                with ui.row().classes("w-full items-center no-wrap gap-2"):
                    ui.label(f"{{{{{n}}}}}").classes("w-[40px]")
                    source = ui.select(options, value="first_name").props("outlined dense").classes(
                        "w-[200px]").mark(f"campaign-var-{n}")
                    text = ui.input("Text").props("outlined dense").classes("flex-grow").mark(f"campaign-text-{n}")
                    text.bind_visibility_from(source, "value", value=TEXT)
                self.sources.append((source, text))

    async def create(self) -> None:
        mapping = [TEXT + (text.value or "") if source.value == TEXT else source.value
                   for source, text in self.sources]
        body = {"name": self.name.value or "", "list": self.list.value, "tags": self.tags.value or [],
                "account": self.account.value, "template": self.template.value, "variables": mapping,
                "rate": self.rate.value}
        created = await context.attempt(self.page.services.campaigns.create(self.page.principal, body))
        if created is not None:
            self.dialog.close()
            await self.page.load()
            await self.page.open(created["id"])


def _progress(totals: dict[str, int]) -> str:
    done = sum(totals[s] for s in ("sent", "delivered", "read"))
    return f"{done} / {sum(totals.values())}"


def _recipient_rows(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The campaign's recipients as table rows, their numbers in the readable form."""
    return [{**item, "phone": readable_phone(item["phone"] or "")} for item in view["recipients"]["items"]]

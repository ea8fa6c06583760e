"""The Interactions page (SPEC L1, L2, L3): every conversation the user may see, filtered and paged; a row
opens it (its messages, the customer's contact card and journey, its details and routing history). Agents
see those they took part in, with their part (one they transferred away, or that was returned to its queue,
opens read-only, up to when they left it); supervisors and admins all; the rule and the masking are the
interaction and contact services'."""
from __future__ import annotations

from html import escape
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.errors import ProductError
from server.services import contact_card
from server.services.auth import Principal
from server.services.interaction_filters import build_filter
from server.ui import context
from server.ui.bubbles import bubble_classes, bubble_html, customer_label, file_url, header_html
from server.ui.contact_editor import contact_title
from server.ui.dialogs import close_dialog, details_choices, details_editor
from server.ui.sidebar import show_journey
from server.ui.theme import apply_theme

PAGE_SIZE = 25
TAG_STYLE = ("display:inline-block;padding:0 8px;margin:0 4px 4px 0;border-radius:10px;color:#fff;font-size:11px;"
             "line-height:20px;")  # a tag as a chip in its color (grey when the contact has many: SPEC C3)
COLUMNS = [
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "contact", "label": "Contact", "field": "contact", "align": "left"},
    {"name": "account", "label": "Account", "field": "account", "align": "left"},
    {"name": "agent", "label": "First agent", "field": "agent", "align": "left"},
    {"name": "last", "label": "Last message", "field": "last", "align": "left",
     "style": "max-width: 320px; overflow: hidden; text-overflow: ellipsis"},
    {"name": "started", "label": "Started", "field": "started", "align": "left"},
    {"name": "tags", "label": "Tags", "field": "tags", "align": "left"},
    {"name": "unread", "label": "Unread", "field": "unread", "align": "right"},
]
PART_COLUMN = {"name": "part", "label": "My part", "field": "part", "align": "left"}  # agents' lists only
PARTS = {"owner": "Owner", "transferred": "Transferred", "returned": "Returned"}
LEFT = {"transferred": "You transferred this conversation", "returned": "A supervisor returned this conversation "
        "to its queue"}


async def interactions_page(open: int | None = None) -> RedirectResponse | None:
    """`?open=<id>`: the list with that interaction opened (links from a contact's journey)."""
    principal = await context.page_principal()
    if principal is None:
        back = "/interactions" + (f"?open={open}" if open else "")
        return RedirectResponse("/login?" + urlencode({"next_path": back}))
    apply_theme()
    page = InteractionsList(principal)
    await page.build()
    if open is not None:
        await page.open(open)
    return None


class InteractionsList:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.services = context.services()
        self.page = 1
        self.total = 0

    async def build(self) -> None:
        choices = await self.services.catalog.filter_choices()
        with ui.header().classes("bg-secondary items-center px-4 py-2 gap-4"):
            ui.label("💬 WhatsApp desk").classes("text-lg font-semibold")
            ui.link("Desk", "/").classes("text-white")
            ui.label("Interactions").classes("font-medium underline")
            ui.link("Contacts", "/contacts").classes("text-white").mark("to-contacts")
            if self.principal.role == "admin":
                ui.link("Templates", "/admin/templates").classes("text-white").mark("to-templates")
            ui.space()
            ui.link("Sign out", "/logout").classes("text-white text-sm")
        with ui.row().classes("w-full items-end gap-2 px-4 pt-3 no-wrap"):
            self.q = ui.input(placeholder="Search name, number or message text").props(
                "outlined dense clearable").classes("w-[280px]").mark("list-search")
            self.q.on("keydown.enter", self.search)
            self.status = ui.select({"": "Any status", "open": "Open", "closed": "Closed"}, value="").props(
                "outlined dense").classes("w-[130px]").mark("list-status")
            self.unread = ui.select({"": "Read or not", "unread": "Unread", "read": "Read"}, value="").props(
                "outlined dense").classes("w-[130px]").mark("list-unread")
            self.account = ui.select({"": "Any account", **{a: a for a in choices["accounts"]}}, value="").props(
                "outlined dense").classes("w-[150px]")
            self.agent = ui.select({"": "Any agent", **{a: a for a in choices["agents"]}}, value="").props(
                "outlined dense").classes("w-[140px]")
            self.agent.set_visibility(self.principal.sees_everything)
            self.tags = ui.select(choices["tags"], multiple=True, label="Tags").props(
                "outlined dense use-chips").classes("w-[180px]")
            self.created_from = ui.input("From", placeholder="YYYY-MM-DD").props("outlined dense").classes("w-[130px]")
            self.created_to = ui.input("To", placeholder="YYYY-MM-DD").props("outlined dense").classes("w-[130px]")
            ui.button(icon="search", on_click=self.search).props("unelevated").mark("list-go")
        with ui.expansion("Advanced search").props("dense").classes("px-4 text-sm"):
            with ui.row().classes("items-end gap-2"):
                self.name = ui.input("Contact name").props("outlined dense clearable").mark("list-name")
                self.phone = ui.input("Phone (any format)").props("outlined dense clearable").mark("list-phone")
                self.message = ui.input("Words in the messages").props("outlined dense clearable").classes(
                    "w-[260px]").mark("list-message")
                for field in (self.name, self.phone, self.message):
                    field.on("keydown.enter", self.search)
        columns = COLUMNS if self.principal.sees_everything else [*COLUMNS[:-1], PART_COLUMN, COLUMNS[-1]]
        self.table = ui.table(columns=columns, rows=[], row_key="id").props("flat dense").classes(
            "w-full px-4").mark("list-table")
        self.table.on("rowClick", lambda event: self.open(event.args[1]["id"]))
        with ui.row().classes("w-full items-center justify-end gap-2 px-4"):
            self.count = ui.label().classes("xc-muted text-sm").mark("list-count")
            self.previous = ui.button(icon="chevron_left", on_click=lambda: self.turn(-1)).props("flat dense")
            self.next = ui.button(icon="chevron_right", on_click=lambda: self.turn(1)).props("flat dense")
        await self.load()

    async def search(self) -> None:
        self.page = 1
        await self.load()

    async def turn(self, step: int) -> None:
        self.page = max(1, self.page + step)
        await self.load()

    async def load(self) -> None:
        try:
            found = build_filter(status=self.status.value,
                                 unread={"unread": True, "read": False}.get(self.unread.value),
                                 account=self.account.value, agent=self.agent.value, tags=self.tags.value or [],
                                 created_from=(self.created_from.value or "").strip(),
                                 created_to=(self.created_to.value or "").strip(), q=self.q.value,
                                 name=self.name.value, phone=self.phone.value, message=self.message.value,
                                 page=self.page, page_size=PAGE_SIZE)
        except ProductError as error:
            context.notify_error(error)
            return
        result = await context.attempt(self.services.interactions.list(self.principal, found))
        if result is None:
            return
        items, self.total = result
        self.table.rows = [_row(item) for item in items]
        self.table.update()
        first = (self.page - 1) * PAGE_SIZE
        self.count.set_text(f"{first + 1 if items else 0}-{first + len(items)} of {self.total}")
        self.previous.set_enabled(self.page > 1)
        self.next.set_enabled(first + len(items) < self.total)

    async def open(self, interaction_id: int) -> None:
        """The conversation in a dialog: its latest messages, details and routing history."""
        interaction = await context.attempt(self.services.interactions.get(self.principal, interaction_id))
        messages = await context.attempt(self.services.interactions.messages(self.principal, interaction_id,
                                                                              limit=50))
        if interaction is None or messages is None:
            return
        card = await context.attempt(contact_card.card(self.services.contacts, self.principal, interaction_id))
        visits = await context.attempt(self.services.interactions.journey(self.principal, interaction_id))
        if card is None or visits is None:
            return
        choices = await details_choices()
        with context.dialog() as dialog, ui.card().classes("w-[900px] max-w-[95vw] h-[85vh] p-0 gap-0"):
            with ui.row().classes("w-full items-center px-4 py-2 no-wrap").style("border-bottom: 1px solid #eaecf0"):
                ui.html(header_html(interaction["contact"], interaction), sanitize=False).classes("flex-grow")
                ui.button("Transcript", icon="picture_as_pdf",
                          on_click=lambda: ui.download(f"/desk/transcripts/{interaction_id}.pdf")).props(
                    "flat dense no-caps").mark("list-transcript")
                if interaction["status"] == "open" and self.principal.sees_everything:
                    ui.button("Watch live", icon="visibility", on_click=lambda: ui.navigate.to(
                        f"/supervisor/interactions/{interaction_id}")).props("flat dense no-caps").mark("list-watch")
                if interaction["status"] == "open" and interaction["owner"] == self.principal.username:
                    target = SimpleNamespace(principal=self.principal, id=interaction_id)
                    ui.button("Close & Dispose…", on_click=lambda: close_dialog(target, dispose=True)).props(
                        "flat dense no-caps color=negative").mark("list-close")
                ui.button(icon="close", on_click=dialog.close).props("flat round dense")
            with ui.row().classes("w-full flex-grow no-wrap gap-0 overflow-hidden"):
                with ui.scroll_area().classes("xc-chat flex-grow h-full"), ui.column().classes("w-full gap-2 p-3"):
                    for message in messages:
                        ui.html(bubble_html(message, file_url(message)), sanitize=False).classes(
                            bubble_classes(message))
                with ui.column().classes("w-[300px] p-3 overflow-auto h-full gap-2 no-wrap"):
                    _contact_section(interaction, card)
                    ui.label("Customer journey").classes("text-sm font-medium mt-2")
                    with ui.element("div").classes("w-full").mark("list-journey"):
                        show_journey(visits)
                    ui.label("This conversation").classes("text-sm font-medium mt-2")
                    ui.html(_details_html(interaction), sanitize=False).classes("w-full")
                    if interaction["my_part"] in LEFT:  # read only: what it held until they left it
                        ui.label(f"{LEFT[interaction['my_part']]}: you see its messages up to then.").classes(
                            "xc-muted text-sm").mark("list-left")
                    else:
                        details_editor(self.principal, interaction, choices)
        dialog.on("hide", self.load)  # what was done in it (a close) shows in the list
        dialog.open()


def _row(item: dict[str, Any]) -> dict[str, Any]:
    last = item.get("last_message") or {}
    arrow = {"in": "↙ ", "out": "↗ "}.get(last.get("direction", ""), "")
    contact = item["contact"]
    waiting = f" ({item['unmanaged']} not taken)" if item.get("unmanaged") else ""
    return {"id": item["id"], "status": item["status"], "contact": customer_label(contact, "") + waiting,
            "account": item["account"], "agent": item["first_agent"] or "—", "last": arrow + (last.get("text") or ""),
            "started": (item["created_at"] or "").replace("T", " ")[:16], "tags": ", ".join(item["tags"]),
            "unread": item["unread"] or "", "part": PARTS.get(item.get("my_part") or "", "")}


def _contact_section(interaction: dict[str, Any], card: dict[str, Any]) -> None:
    """Who the customer is, as the contact service shows them to this viewer (masked when they are masked):
    name, number, list and tags, with a link to the contact (SPEC L3, C6, C8)."""
    saved = card["contact"]
    name = contact_title(saved) if saved else interaction["contact"]["name"]
    with ui.column().classes("w-full gap-1").mark("list-contact"):
        ui.label("Contact").classes("text-sm font-medium")
        ui.html(header_html({"name": name or "Unknown customer", "phone": interaction["contact"]["phone"]}),
                sanitize=False)
        if saved is None:
            ui.label("Saved in a contact list you may not see." if card["saved"] else
                     "Not saved in a contact list yet.").classes("xc-muted text-sm")
            return
        chips = "".join(f"<span class='xc-tag' style='{TAG_STYLE}background:{escape(saved['tag_colors'][tag])}'>"
                        f"{escape(tag)}</span>" for tag in saved["tags"])
        ui.html(f"<div class='xc-field'><div>List</div><div>{escape(saved['list'] or '—')}</div></div>"
                f"<div class='xc-field'><div>Tags</div><div>{chips or '—'}</div></div>", sanitize=False).classes(
            "w-full")
        ui.link("Open in Contacts", f"/contacts/{saved['id']}", new_tab=True).classes("text-sm").mark(
            "list-contact-open")


def _details_html(interaction: dict[str, Any]) -> str:
    pairs = [("Status", interaction["status"]), ("Owner", interaction["owner"] or "—"),
             ("Account", interaction["account"]), ("Queue", interaction["queue"]),
             ("Created", (interaction["created_at"] or "").replace("T", " ")[:16] + " UTC"),
             ("Closed", (interaction["closed_at"] or "—").replace("T", " ")[:16])]  # tags, disposition: the editor
    history = "<br>".join(escape(f"{h['at'][11:16]} {h['kind'].replace('_', ' ')} {', '.join(h['agents'][:3])}")
                          for h in interaction.get("history", [])[-30:])
    return ("".join(f"<div class='xc-field'><div>{escape(k)}</div><div>{escape(str(v))}</div></div>"
                    for k, v in pairs) + f"<div class='xc-field'><div>Routing history</div><div class='text-xs'>"
            f"{history or '—'}</div></div>")

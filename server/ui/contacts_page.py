"""The Contacts and My Contacts pages (SPEC C1-C7): the contacts the user may see, filtered and paged, and
a tab per opened contact to edit it, see its customer journey, merge, duplicate or delete it. Rights,
masking and what a search matches are the contact service's; the page renders what it answers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse
from nicegui import ui

from server.domain.phone import readable_phone

from server.services import list_rights
from server.services.auth import Principal
from server.ui import context
from server.ui.contact_dialogs import add_dialog, delete_dialog, duplicate_dialog, merge_dialog
from server.ui.contact_editor import ContactForm, contact_title, tab_titles, tag_select
from server.ui.theme import apply_theme

PAGE_SIZE = 25
ADVANCED = (("first_name", "First name"), ("last_name", "Last name"), ("email", "Email"), ("phone", "Phone"),
            ("company", "Company"), ("notes", "Notes"))
COLUMNS = [
    {"name": "name", "label": "Name", "field": "name", "align": "left"},
    {"name": "phones", "label": "Phones", "field": "phones", "align": "left"},
    {"name": "email", "label": "Email", "field": "email", "align": "left"},
    {"name": "company", "label": "Company", "field": "company", "align": "left"},
    {"name": "list", "label": "List", "field": "list", "align": "left"},
    {"name": "tags", "label": "Tags", "field": "tags", "align": "left"},
    {"name": "edit", "label": "", "field": "id", "align": "right"},
]
TAGS_CELL = """<q-td :props="props"><q-chip v-for="tag in props.value" :key="tag.name" dense size="sm"
 text-color="white" :style="{background: tag.color}">{{ tag.name }}</q-chip></q-td>"""
EDIT_CELL = """<q-td :props="props" auto-width><q-btn flat dense no-caps icon="edit" label="Edit" color="primary"
 no-wrap @click.stop="() => $parent.$emit('edit', props.row)" /></q-td>"""
JOURNEY = [
    {"name": "created", "label": "Created", "field": "created", "align": "left"},
    {"name": "agent", "label": "Agent", "field": "agent", "align": "left"},
    {"name": "queue", "label": "Queue", "field": "queue", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "tags", "label": "Tags", "field": "tags", "align": "left"},
    {"name": "disposition", "label": "Disposition", "field": "disposition", "align": "left"},
    {"name": "open", "label": "", "field": "readable", "align": "right"},
]
OPEN_CELL = """<q-td :props="props"><a v-if="props.row.readable" :href="'/interactions?open=' + props.row.id"
 class="text-primary">Open</a></q-td>"""


async def contacts_page() -> RedirectResponse | None:
    return await _page("/contacts", mine=False)


async def my_contacts_page() -> RedirectResponse | None:
    return await _page("/my-contacts", mine=True)


async def contact_page(contact_id: int) -> RedirectResponse | None:
    """The Contacts page with this contact's tab open (a link to one contact)."""
    return await _page(f"/contacts/{contact_id}", mine=False, opened=contact_id)


async def _page(path: str, *, mine: bool, opened: int | None = None) -> RedirectResponse | None:
    principal = await context.page_principal()
    if principal is None:
        return RedirectResponse(f"/login?next_path={path}")
    apply_theme()
    page = ContactsPage(principal, mine)
    await page.build()
    if opened is not None:
        await page.open(opened)
    return None


@dataclass
class Opened:
    tab: ui.tab
    panel: ui.tab_panel
    editor: ContactTab


class ContactsPage:
    """The list as the first tab, then one closable tab per opened contact."""

    def __init__(self, principal: Principal, mine: bool) -> None:
        self.principal = principal
        self.mine = mine
        self.services = context.services()
        self.page = 1
        self.opened: dict[int, Opened] = {}
        self.custom_search: dict[str, ui.input] = {}

    async def build(self) -> None:
        self.lists = await list_rights.my_lists(self.principal)
        self.addable = await list_rights.list_names(self.principal, "add")
        self.tags = await self.services.catalog.tags()
        self.has_desk = self.services.system.desk(self.principal.username) is not None
        self._header()
        with ui.tabs().props("dense align=left no-caps inline-label").classes("w-full px-4 bg-white") as self.tabs:
            ui.tab("list", "My Contacts" if self.mine else "Contacts", icon="contacts").mark("tab-list")
        with ui.tab_panels(self.tabs, value="list").classes("w-full bg-transparent") as self.panels, \
                ui.tab_panel("list").classes("p-0"):
            self._filters()
            self._table()
        await self.load()

    def _header(self) -> None:
        with ui.header().classes("bg-secondary items-center px-4 py-2 gap-4"):
            ui.label("💬 WhatsApp desk").classes("text-lg font-semibold")
            ui.link("Desk", "/").classes("text-white")
            ui.link("Interactions", "/interactions").classes("text-white")
            for title, path, mine in (("Contacts", "/contacts", False), ("My Contacts", "/my-contacts", True)):
                if mine == self.mine:
                    ui.label(title).classes("font-medium underline")
                else:
                    ui.link(title, path).classes("text-white").mark(f"to{path.replace('/', '-')}")
            if self.principal.role == "admin":
                ui.link("Templates", "/admin/templates").classes("text-white").mark("to-templates")
            ui.space()
            ui.link("Sign out", "/logout").classes("text-white text-sm")

    def _filters(self) -> None:
        with ui.row().classes("w-full items-end gap-2 px-4 pt-3 no-wrap"):
            self.q = ui.input(placeholder="Search name, phone or email").props("outlined dense clearable").classes(
                "w-[280px]").mark("contacts-search")
            self.q.on("keydown.enter", self.search)
            self.list = ui.select({"": "All lists", **{found["name"]: found["name"] for found in self.lists}},
                                  value="", on_change=self._list_chosen).props("outlined dense").classes(
                "w-[180px]").mark("contacts-list")
            self.tag_filter = tag_select(self.tags, []).classes("min-w-[200px]").mark("contacts-tags")
            self.tag_filter.on_value_change(self.search)
            ui.button(icon="search", on_click=self.search).props("unelevated").mark("contacts-go")
            ui.button("Refresh", icon="refresh", on_click=self.load).props("flat no-caps").mark("contacts-refresh")
            ui.space()
            if self.addable:
                ui.button("Add contact", icon="add", on_click=lambda: add_dialog(self)).props(
                    "unelevated no-caps").mark("contacts-add")
        with ui.expansion("Advanced search").props("dense").classes("px-4 text-sm w-full"):
            with ui.row().classes("items-end gap-2"):
                self.advanced = {field: ui.input(label).props("outlined dense clearable").classes("w-[160px]").mark(
                    f"contacts-{field}") for field, label in ADVANCED}
                for field in self.advanced.values():
                    field.on("keydown.enter", self.search)
            self.custom_row = ui.row().classes("items-end gap-2")

    def _table(self) -> None:
        self.table = ui.table(columns=COLUMNS, rows=[], row_key="id").props("flat dense").classes(
            "w-full px-4").mark("contacts-table")
        self.table.add_slot("body-cell-tags", TAGS_CELL)
        self.table.add_slot("body-cell-edit", EDIT_CELL)
        self.table.on("rowClick", lambda event: self.open(event.args[1]["id"]))
        self.table.on("edit", lambda event: self.open(event.args["id"]))
        with ui.row().classes("w-full items-center justify-end gap-2 px-4"):
            self.count = ui.label().classes("xc-muted text-sm").mark("contacts-count")
            self.previous = ui.button(icon="chevron_left", on_click=lambda: self.turn(-1)).props("flat dense").mark(
                "contacts-previous")
            self.next = ui.button(icon="chevron_right", on_click=lambda: self.turn(1)).props("flat dense").mark(
                "contacts-next")

    async def _list_chosen(self) -> None:
        """The chosen list's custom fields join the advanced search."""
        fields: list[dict[str, Any]] = next(
            (found["custom_fields"] for found in self.lists if found["name"] == self.list.value), [])
        self.custom_row.clear()
        with self.custom_row:
            self.custom_search = {f["name"]: ui.input(f["label"]).props("outlined dense clearable").classes(
                "w-[160px]").mark(f"contacts-field-{f['name']}") for f in fields}
        for field in self.custom_search.values():
            field.on("keydown.enter", self.search)
        await self.search()

    async def search(self) -> None:
        self.page = 1
        await self.load()

    async def turn(self, step: int) -> None:
        self.page = max(1, self.page + step)
        await self.load()

    async def load(self) -> None:
        """The current page of contacts for the filters as they are."""
        found = await context.attempt(self.services.contacts.find(
            self.principal, list_name=self.list.value or None, tags=self.tag_filter.value or [], mine=self.mine,
            q=self.q.value, custom={name: field.value for name, field in self.custom_search.items()},
            page=self.page, page_size=PAGE_SIZE, **{name: field.value for name, field in self.advanced.items()}))
        if found is None:
            return
        items, total = found
        self.table.rows = [_row(item) for item in items]
        self.table.update()
        first = (self.page - 1) * PAGE_SIZE
        self.count.set_text(f"{first + 1 if items else 0}–{first + len(items)} of {total}")
        self.previous.set_enabled(self.page > 1)
        self.next.set_enabled(first + len(items) < total)

    # --- contact tabs ------------------------------------------------------------------------------
    async def open(self, contact_id: int) -> None:
        """Show the contact's tab, opening it first if needed."""
        if contact_id not in self.opened:
            contact = await context.attempt(self.services.contacts.get(self.principal, contact_id))
            if contact is None or contact_id in self.opened:
                return
            with self.tabs, ui.tab(f"contact-{contact_id}", contact_title(contact)).mark(
                    f"tab-contact-{contact_id}") as tab:
                ui.button(icon="close").props("flat round dense size=xs").on(
                    "click.stop", lambda: self.close(contact_id)).mark(f"close-contact-{contact_id}")
            with self.panels, ui.tab_panel(f"contact-{contact_id}").classes("p-0 px-4") as panel:
                editor = ContactTab(self, contact)
            self.opened[contact_id] = Opened(tab, panel, editor)
            self.retitle()
        self.tabs.set_value(f"contact-{contact_id}")

    def close(self, contact_id: int) -> None:
        opened = self.opened.pop(contact_id, None)
        if opened is None:
            return
        if self.tabs.value == f"contact-{contact_id}":
            self.tabs.set_value("list")
        opened.tab.delete()
        opened.panel.delete()
        self.retitle()

    def retitle(self) -> None:
        """The opened contacts' tab titles, told apart by their lists where names are the same (SPEC C5)."""
        titles = tab_titles([opened.editor.contact for opened in self.opened.values()])
        for contact_id, opened in self.opened.items():
            opened.tab.set_label(titles[contact_id])


class ContactTab:
    """An opened contact (SPEC C5, C6): "Detail", its form and actions, and "Customer journey", its
    interactions, loaded when that tab is chosen."""

    def __init__(self, page: ContactsPage, contact: dict[str, Any]) -> None:
        self.page = page
        self.id: int = contact["id"]
        self.contact = contact
        with ui.tabs().props("dense align=left no-caps").classes("w-full") as self.inner:
            ui.tab("detail", "Detail").mark(f"contact-{self.id}-detail")
            ui.tab("journey", "Customer journey").mark(f"contact-{self.id}-journey-tab")
        with ui.tab_panels(self.inner, value="detail").classes("w-full xc-card"):
            with ui.tab_panel("detail"):
                self.detail = ui.column().classes("w-full gap-3")
            with ui.tab_panel("journey"):
                self.journey = ui.table(columns=JOURNEY, rows=[], row_key="id").props("flat dense").classes(
                    "w-full").mark(f"contact-{self.id}-journey")
                self.journey.add_slot("body-cell-open", OPEN_CELL)
        self.inner.on_value_change(self.show_journey)
        self.show(contact)

    @property
    def title(self) -> str:
        return contact_title(self.contact)

    @property
    def copy_targets(self) -> list[str]:
        """The lists a copy of this contact may go to."""
        return [name for name in self.page.addable if name != self.contact["list"]]

    def show(self, contact: dict[str, Any]) -> None:
        self.contact = contact
        self.detail.clear()
        with self.detail:
            ui.label(f"List {contact['list'] or '—'} · created {_when(contact['created_at'])} · updated "
                     f"{_when(contact['updated_at'])}").classes("xc-muted text-sm")
            self.form = ContactForm(contact, tags=self.page.tags, custom_fields=contact["custom_fields"],
                                    marker=f"contact-{self.id}", hidden=contact["hidden"],
                                    editable=contact["can_edit"])
            with ui.row().classes("w-full justify-end gap-2"):
                if self.page.has_desk and contact["phones"] and "phones" not in contact["hidden"]:
                    ui.button("Send a WhatsApp", icon="chat", on_click=self.message).props("flat no-caps").mark(
                        f"contact-{self.id}-message")
                ui.space()
                if contact["can_edit"]:
                    ui.button("Merge", icon="merge", on_click=lambda: merge_dialog(self)).props("flat no-caps").mark(
                        f"contact-{self.id}-merge")
                if self.copy_targets:
                    ui.button("Duplicate", icon="content_copy", on_click=lambda: duplicate_dialog(self)).props(
                        "flat no-caps").mark(f"contact-{self.id}-duplicate")
                if contact["can_edit"]:
                    ui.button("Delete", icon="delete", on_click=lambda: delete_dialog(self)).props(
                        "flat no-caps color=negative").mark(f"contact-{self.id}-delete")
                    ui.button("Save", icon="save", on_click=self.save).props("unelevated no-caps").mark(
                        f"contact-{self.id}-save")
        self.page.retitle()

    async def save(self) -> None:
        """Only what was changed here, so another user's save in the meantime stands; the tab then shows the
        contact as saved."""
        changes = self.form.changes()
        if not changes:
            ui.notify("Nothing to save.")
            return
        saved = await self.form.attempt(self.page.services.contacts.update(self.page.principal, self.id, changes))
        if saved is None:
            return
        ui.notify("Contact saved.", type="positive")
        self.show(saved)
        await self.page.load()

    async def message(self) -> None:
        """The desk's new conversation with the contact's first number filled in (SPEC D8, T4): read again
        first, so that a contact gone or masked meanwhile sends nobody anywhere."""
        contact = await context.attempt(self.page.services.contacts.get(self.page.principal, self.id))
        if contact is not None and contact["phones"] and "phones" not in contact["hidden"]:
            ui.navigate.to("/?" + urlencode({"new": contact["phones"][0]}))

    async def reload(self) -> None:
        """The contact as it is now; its tab closes if it is gone."""
        contact = await context.attempt(self.page.services.contacts.get(self.page.principal, self.id))
        if contact is None:
            self.page.close(self.id)
            return
        self.show(contact)
        await self.show_journey()

    async def show_journey(self) -> None:
        if self.inner.value != "journey":
            return
        visits = await context.attempt(self.page.services.contacts.journey(self.page.principal, self.id))
        if visits is None:
            return
        self.journey.rows = [{"id": v["id"], "created": _when(v["created_at"]), "agent": v["agent"] or "—",
                              "queue": v["queue"], "status": v["status"], "tags": ", ".join(v["tags"]),
                              "disposition": v["disposition"] or "—", "readable": v["readable"]} for v in visits]
        self.journey.update()


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:16] if value else "—"


def _row(item: dict[str, Any]) -> dict[str, Any]:
    """A contact as a table row; its tags in the colors the service says they show in (SPEC C3)."""
    return {"id": item["id"], "name": " ".join(filter(None, [item["first_name"], item["last_name"]])) or "—",
            "phones": ", ".join(readable_phone(p) for p in item["phones"]), "email": item["email"],
            "company": item["company"], "list": item["list"] or "—",
            "tags": [{"name": t, "color": item["tag_colors"][t]} for t in item["tags"]]}

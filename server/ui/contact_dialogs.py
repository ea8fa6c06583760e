"""The contact manager's dialogs (SPEC C5): add a contact, merge another one into an opened contact,
duplicate it into another list, delete it. Each calls one service; a refusal is a notice and the dialog
stays open with what was typed."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import ui

from server.domain.phone import readable_phone

from server.services import contact_merge
from server.ui import context
from server.ui.contact_editor import ContactForm, contact_title

if TYPE_CHECKING:
    from server.ui.contacts_page import ContactsPage, ContactTab

MERGE_RESULTS = 10


async def add_dialog(page: ContactsPage) -> None:
    """A new contact in one of the lists the user may add to, with that list's custom fields."""
    fields = {found["name"]: found["custom_fields"] for found in page.lists if found["name"] in page.addable}
    if not fields:
        return
    chosen = page.list.value if page.list.value in fields else next(iter(fields))
    with context.dialog() as dialog, ui.card().classes("w-[640px] max-w-[95vw]"):
        ui.label("Add contact").classes("text-lg font-medium")
        target = ui.select(list(fields), value=chosen, label="List").props("outlined dense").classes("w-full").mark(
            "new-contact-list")
        form = ContactForm({}, tags=page.tags, custom_fields=fields[chosen], marker="new-contact")
        target.on_value_change(lambda: form.show_custom(fields[target.value], {}))

        async def add() -> None:
            made = await form.attempt(page.services.contacts.create(page.principal,
                                                                    {"list": target.value, **form.changes()}))
            if made is None:
                return
            ui.notify(f"{contact_title(made)} added to {made['list']}.", type="positive")
            dialog.close()
            await page.load()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Add contact", on_click=add).props("unelevated").mark("new-contact-save")
    dialog.open()


async def merge_dialog(tab: ContactTab) -> None:
    """Find the other contact (first name, last name, email or phone), pick it, and merge it into this one."""
    page = tab.page
    found: dict[int, dict[str, Any]] = {}
    with context.dialog() as dialog, ui.card().classes("w-[560px] max-w-[95vw]"):
        ui.label(f"Merge a contact into {tab.title}").classes("text-lg font-medium")
        ui.label("The other contact is deleted; its conversations, phones, tags and the fields this one lacks "
                 "move here.").classes("xc-muted text-sm")
        with ui.row().classes("w-full items-end no-wrap gap-2"):
            query = ui.input(placeholder="First name, last name, email or phone").props(
                "outlined dense clearable autofocus").classes("flex-grow").mark("merge-search")
            go = ui.button(icon="search").props("unelevated").mark("merge-go")
        nothing = ui.label("No other contact matches.").classes("xc-muted text-sm")
        nothing.set_visibility(False)
        results = ui.radio({}).classes("w-full").mark("merge-results")
        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            confirm = ui.button("Merge").props("unelevated no-caps").mark("merge-confirm")
        confirm.disable()

        async def search() -> None:
            answer = await context.attempt(page.services.contacts.find(page.principal, q=query.value or "",
                                                                       page_size=MERGE_RESULTS + 1))
            if answer is None:
                return
            others = [item for item in answer[0] if item["id"] != tab.id][:MERGE_RESULTS]
            found.clear()
            found.update({item["id"]: item for item in others})
            results.set_options({i: _choice(item) for i, item in found.items()}, value=None)
            nothing.set_visibility(not found)
            confirm.disable()

        def picked() -> None:
            if results.value in found:
                confirm.set_text(f"Merge {contact_title(found[results.value])} into {tab.title}")
                confirm.enable()

        async def merge() -> None:
            other = results.value
            merged = await context.attempt(contact_merge.merge(page.services.contacts, page.principal, tab.id, other))
            if merged is None:
                return
            dialog.close()
            ui.notify(f"{contact_title(found[other])} merged into {contact_title(merged)}.", type="positive")
            page.close(other)
            await tab.reload()
            await page.load()

        query.on("keydown.enter", search)
        go.on_click(search)
        results.on_value_change(picked)
        confirm.on_click(merge)
    dialog.open()


def _choice(item: dict[str, Any]) -> str:
    phones = ", ".join(readable_phone(p) for p in item["phones"])
    return " · ".join(filter(None, [contact_title(item), phones, item["email"], item["list"]]))


async def duplicate_dialog(tab: ContactTab) -> None:
    """A copy of the contact in another list the user may add to; its tab opens."""
    page = tab.page
    with context.dialog() as dialog, ui.card().classes("w-[420px]"):
        ui.label(f"Duplicate {tab.title}").classes("text-lg font-medium")
        ui.label("A copy with the same names, phones, tags and the custom fields that list also has.").classes(
            "xc-muted text-sm")
        target = ui.select(tab.copy_targets, value=tab.copy_targets[0], label="Into the list").props(
            "outlined dense").classes("w-full").mark("duplicate-list")

        async def copy() -> None:
            made = await context.attempt(contact_merge.duplicate(page.services.contacts, page.principal, tab.id,
                                                                 target.value))
            if made is None:
                return
            dialog.close()
            ui.notify(f"{contact_title(made)} copied to {made['list']}.", type="positive")
            await page.load()
            await page.open(made["id"])

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Add contact", on_click=copy).props("unelevated").mark("duplicate-confirm")
    dialog.open()


async def delete_dialog(tab: ContactTab) -> None:
    page = tab.page
    with context.dialog() as dialog, ui.card().classes("w-[400px]"):
        ui.label(f"Delete {tab.title}?").classes("text-lg font-medium")
        ui.label("Its conversations are kept, without the contact.").classes("xc-muted text-sm")

        async def delete() -> None:
            if await context.attempt(_deleted(page, tab.id)):
                dialog.close()
                ui.notify(f"{tab.title} deleted.", type="positive")
                page.close(tab.id)
                await page.load()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Delete", on_click=delete).props("unelevated color=negative").mark("delete-confirm")
    dialog.open()


async def _deleted(page: ContactsPage, contact_id: int) -> bool:
    await page.services.contacts.delete(page.principal, contact_id)
    return True

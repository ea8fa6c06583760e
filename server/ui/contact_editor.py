"""A contact's fields as a form (SPEC C2): names, phones, email, company, notes, tags and the custom fields
of its list, rendered by kind. Used to add a contact and to edit one in its tab. The form shows what the
contact service answered: a field masked for the viewer arrives masked and stays read-only. It sends only
what its user changed, so a form left open does not undo what another user saved meanwhile."""
from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Coroutine
from html import escape
from typing import Any, TypeVar

from nicegui import ui

from server.domain.phone import readable_phone
from server.domain.tags import shown_colors
from server.errors import Invalid
from server.ui import context

T = TypeVar("T")

STANDARD = (("first_name", "First name"), ("last_name", "Last name"), ("email", "Email"), ("company", "Company"))
CHIP = """<q-chip dense REMOVABLE size="sm" text-color="white" :tabindex="props.tabindex"
 :style="{background: COLORS[props.opt.value]}" @remove="props.removeAtIndex(props.index)">
 {{ props.opt.label }}</q-chip>"""


def contact_title(contact: dict[str, Any]) -> str:
    """What a contact is called in a tab or a list: its name, else its first number, email or id."""
    name = " ".join(filter(None, [contact["first_name"], contact["last_name"]]))
    first_phone = readable_phone(next(iter(contact["phones"]), ""))
    return name or first_phone or contact["email"] or f"Contact {contact['id']}"


def tag_select(tags: list[dict[str, Any]], value: list[str], *, removable: bool = True,
               contact_tags: bool = False) -> ui.select:
    """A multiple select of tags whose chosen ones show as chips in the tags' colors (SPEC C3). A contact's
    own tags (`contact_tags`) show as that contact's would in the list: all grey when there are many."""
    names = [t["name"] for t in tags]
    select = ui.select(names, value=[v for v in value if v in names], multiple=True, label="Tags").props(
        "outlined dense")
    catalog = {t["name"]: t["color"] for t in tags}

    def paint() -> None:
        shown = shown_colors([(n, catalog[n]) for n in select.value or []]) if contact_tags else {}
        colors = escape(json.dumps([shown.get(name, catalog[name]) for name in names]))
        select.add_slot("selected-item", CHIP.replace("COLORS", colors).replace("REMOVABLE", "removable" * removable))
        select.update()

    paint()
    if contact_tags:
        select.on_value_change(paint)
    return select


def tab_titles(contacts: list[dict[str, Any]]) -> dict[int, str]:
    """Each opened contact's tab title: its `contact_title`, with its list after it when another opened
    contact has the same title ("Anna Conti · Sales")."""
    titles = {c["id"]: contact_title(c) for c in contacts}
    shared = {t for t in titles.values() if list(titles.values()).count(t) > 1}
    return {c["id"]: f"{titles[c['id']]} · {c['list'] or '—'}" if titles[c["id"]] in shared else titles[c["id"]]
            for c in contacts}


def split_phones(text: str) -> list[str]:
    """Numbers typed one per line or separated by commas."""
    return [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip()]


def changed(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The entries of `now` that differ from `before`."""
    return {key: value for key, value in now.items() if value != before.get(key)}


class ContactForm:
    """The inputs of one contact. `hidden`: fields masked for this viewer (shown as given, never sent);
    `editable` False shows every field read-only. Markers are `<marker>-<field>`, custom ones
    `<marker>-field-<name>`."""

    def __init__(self, values: dict[str, Any], *, tags: list[dict[str, Any]], custom_fields: list[dict[str, Any]],
                 marker: str, hidden: list[str] | tuple[str, ...] = (), editable: bool = True) -> None:
        self.marker = marker
        self.editable = editable
        self.locked = set(hidden)
        self.texts: dict[str, Any] = {}
        with ui.grid(columns=2).classes("w-full gap-2"):
            for field, label in STANDARD:
                self.texts[field] = self._guarded(field, ui.input(label, value=values.get(field) or ""))
            self.phones = self._guarded("phones", ui.textarea(
                "Phones", value="\n".join(readable_phone(phone) for phone in values.get("phones") or []),
                placeholder="One number per line, or separated by commas").props("autogrow"))
            self.tags = self._guarded("tags", tag_select(tags, values.get("tags") or [], removable=editable,
                                                         contact_tags=True))
        self.texts["notes"] = self._guarded("notes", ui.textarea("Notes", value=values.get("notes") or "").props(
            "autogrow"))
        self.custom = ui.grid(columns=2).classes("w-full gap-2")
        self.custom_inputs: dict[str, Any] = {}
        self.show_custom(custom_fields, values.get("fields") or {})
        self.baseline = self._standard()

    def _guarded(self, field: str, widget: Any) -> Any:
        # hide-bottom-space: an error below the field takes the lines it needs instead of covering the next one
        widget.props("outlined dense hide-bottom-space").classes("w-full").mark(f"{self.marker}-{field}")
        if not self.editable or field in self.locked:
            widget.props("readonly")
        if field in self.locked:
            widget.tooltip("Hidden from you: it cannot be changed here.")
        return widget

    def show_custom(self, specs: list[dict[str, Any]], values: dict[str, Any]) -> None:
        """The custom fields of the contact's list, each as its kind asks."""
        self.custom.clear()
        self.custom_inputs = {}
        with self.custom:
            for spec in specs:
                current = values.get(spec["name"])
                text = "" if current is None else str(current)
                if spec["kind"] == "choice":
                    choices = [*spec["choices"], *([text] if text and text not in spec["choices"] else [])]
                    widget: ui.select | ui.input = ui.select({"": "—", **{c: c for c in choices}}, value=text,
                                                             label=spec["label"])
                else:
                    widget = ui.input(spec["label"], value=text)
                    if spec["kind"] in ("number", "date"):
                        widget.props(f"type={spec['kind']} stack-label")
                self.custom_inputs[spec["name"]] = widget.props("outlined dense").classes("w-full").mark(
                    f"{self.marker}-field-{spec['name']}")
                if not self.editable:
                    widget.props("readonly")
        self.custom_baseline = self._custom()

    async def attempt(self, action: Awaitable[T]) -> T | None:
        """`context.attempt` for saving this form: a refusal that names one of its fields is also shown beside
        that field, until the next attempt."""
        for widget in (*self.texts.values(), self.phones):
            widget.error = None

        async def marked() -> T:
            try:
                return await action
            except Invalid as error:
                widget = self.phones if error.field == "phones" else self.texts.get(error.field or "")
                if widget is not None:
                    widget.error = error.message
                raise

        try:
            return await context.attempt(marked())
        finally:
            if isinstance(action, Coroutine) and inspect.getcoroutinestate(action) == inspect.CORO_CREATED:
                action.close()  # the page may no longer act: it never began

    def changes(self) -> dict[str, Any]:
        """What the user changed since the form was built, as the contact service takes it: standard fields,
        phones and tags whole, and under "fields" only the custom fields changed. For a new contact (a form
        built empty) that is everything filled in."""
        body = changed(self._standard(), self.baseline)
        fields = changed(self._custom(), self.custom_baseline)
        return {**body, "fields": fields} if fields else body

    def _standard(self) -> dict[str, Any]:
        """The fields this viewer may change, as they stand in the form."""
        values: dict[str, Any] = {field: widget.value or "" for field, widget in self.texts.items()
                                  if field not in self.locked}
        if "phones" not in self.locked:
            values["phones"] = split_phones(self.phones.value or "")
        values["tags"] = sorted(self.tags.value or [])
        return values

    def _custom(self) -> dict[str, Any]:
        return {name: "" if widget.value is None else widget.value for name, widget in self.custom_inputs.items()}

"""Administration of the contact manager (SPEC C1, C2, C3, C9; A1): lists and who may view, add to and edit
them, the custom fields of each list, tags, and contact triggers. Admins only; every change is audited in
the transaction that makes it."""
from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from server.domain.contact_fields import checked_definition
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.persistence.models import (Account, Contact, ContactList, ContactTrigger, CustomField, ListPermission,
                                       Queue, Tag, User)
from server.persistence.keys import by_name_or_id
from server.persistence.queries import raw
from server.services.audit import record
from server.services.auth import Principal

COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


async def named(model: type[Model], key: Any, what: str, field: str = "name") -> Any:
    """A row named by its unique name (or key) or by its id, whichever the caller gives."""
    if key is None or isinstance(key, bool) or not str(key).strip():
        raise Invalid(f"Name the {what}.")
    row = await by_name_or_id(model, key, field)
    if row is None:
        raise NotFound(f"There is no {what} {_shown(key)}.")
    return row


def _shown(key: Any) -> str:
    """A caller's key as an error message quotes it: cut short."""
    text = str(key)
    return repr(text if len(text) <= 80 else text[:80] + "...")


def _text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise Invalid(f"{what}: 1-{limit} characters.")
    return value.strip()


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise Invalid(f"{key} must be true or false.")
    return value


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("Send an object.")
    return body


def field_view(row: CustomField) -> dict[str, Any]:
    return {"id": row.id, "list_id": row.list_id, "name": row.name, "label": row.label or row.name,
            "kind": row.kind, "choices": row.choices or []}


def tag_view(row: Tag) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "color": row.color}


async def _trigger_view(row: ContactTrigger) -> dict[str, Any]:
    await row.fetch_related("account", "queue", "list")
    return {"id": row.id, "account": row.account.key if row.account else None,
            "queue": row.queue.name if row.queue else None, "list": row.list.name}


class ContactAdminService:
    # --- lists and permissions ---------------------------------------------------------------------

    async def lists(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        counts = {r["list_id"]: r["n"] for r in await raw(
            "SELECT list_id, COUNT(*) AS n FROM contacts GROUP BY list_id")}
        return [{"id": r.id, "name": r.name, "contacts": counts.get(r.id, 0)}
                for r in await ContactList.all().order_by("name")]

    async def create_list(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require_admin()
        name = _text(_object(body).get("name"), "name", 128)
        try:
            async with in_transaction():
                row = await ContactList.create(name=name)
                await record(principal, "list.create", f"list {name}", None, {"name": name})
        except IntegrityError:
            raise Conflict(f"There is a list named {name!r} already.", code="exists") from None
        return {"id": row.id, "name": row.name, "contacts": 0}

    async def rename_list(self, principal: Principal, key: Any, body: Any) -> dict[str, Any]:
        principal.require_admin()
        row = await named(ContactList, key, "list")
        name = _text(_object(body).get("name"), "name", 128)
        before = row.name
        try:
            async with in_transaction():
                await ContactList.filter(id=row.id).update(name=name)
                await record(principal, "list.rename", f"list {name}", {"name": before}, {"name": name})
        except IntegrityError:
            raise Conflict(f"There is a list named {name!r} already.", code="exists") from None
        return {"id": row.id, "name": name}

    async def delete_list(self, principal: Principal, key: Any) -> None:
        principal.require_admin()
        """Only an empty list goes; its permissions, custom fields and triggers go with it (in the audit entry)."""
        row = await named(ContactList, key, "list")
        async with in_transaction():
            count = await Contact.filter(list_id=row.id).count()
            if count:
                raise Conflict(f"The list {row.name!r} holds {count} contacts: move or delete them first.",
                               code="not_empty")
            before = {"name": row.name, "permissions": await self.permissions(principal, row.id),
                      "custom_fields": await self.fields(principal, row.id),
                      "triggers": [await _trigger_view(t) for t in await ContactTrigger.filter(list_id=row.id)]}
            await row.delete()
            await record(principal, "list.delete", f"list {row.name}", before, None)

    async def permissions(self, principal: Principal, key: Any) -> list[dict[str, Any]]:
        principal.require_admin()
        row = await named(ContactList, key, "list")
        return [{"user": p["user__username"], "view": p["can_view"], "add": p["can_add"], "edit": p["can_edit"]}
                for p in await ListPermission.filter(list_id=row.id).order_by("user__username").values(
                    "user__username", "can_view", "can_add", "can_edit")]

    async def set_permission(self, principal: Principal, key: Any, body: Any) -> dict[str, Any]:
        """One user's rights on one list; all three false removes them from the list."""
        principal.require_admin()
        body = _object(body)
        target = await named(ContactList, key, "list")
        user = await named(User, body.get("user"), "user", "username")
        if user.id == principal.id:
            raise Forbidden("You cannot change your own rights: another administrator can.")
        view, add, edit = _flag(body, "view"), _flag(body, "add"), _flag(body, "edit")
        if (add or edit) and not view:
            raise Invalid("Adding to or editing a list needs viewing it: set view too.")
        current = await ListPermission.get_or_none(list_id=target.id, user_id=user.id)
        before = {"view": current.can_view, "add": current.can_add, "edit": current.can_edit} if current else None
        after = {"view": view, "add": add, "edit": edit}
        async with in_transaction():
            if not view:
                await ListPermission.filter(list_id=target.id, user_id=user.id).delete()
            else:
                await ListPermission.update_or_create(defaults={"can_view": view, "can_add": add, "can_edit": edit},
                                                      list_id=target.id, user_id=user.id)
            await record(principal, "list.permission", f"list {target.name} / {user.username}", before, after)
        return {"list": target.name, "user": user.username, **after}

    # --- custom fields -----------------------------------------------------------------------------

    async def fields(self, principal: Principal, list_key: Any = None) -> list[dict[str, Any]]:
        principal.require_admin()
        query = CustomField.all()
        if list_key not in (None, ""):
            query = query.filter(list_id=(await named(ContactList, list_key, "list")).id)
        return [field_view(r) for r in await query.order_by("list_id", "id")]

    async def create_field(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require_admin()
        body = _object(body)
        target = await named(ContactList, body.get("list"), "list")
        spec = checked_definition(body.get("name"), body.get("label"), body.get("kind", "text"), body.get("choices"))
        try:
            async with in_transaction():
                row = await CustomField.create(list_id=target.id, name=spec.name, label=spec.label, kind=spec.kind,
                                               choices=list(spec.choices))
                await record(principal, "field.create", f"list {target.name} / {spec.name}", None, field_view(row))
        except IntegrityError:
            raise Conflict(f"The list {target.name!r} has a field {spec.name!r} already.", code="exists") from None
        return field_view(row)

    async def update_field(self, principal: Principal, field_id: int, body: Any) -> dict[str, Any]:
        """Label and choices may change; the name and kind stay (contacts hold values under them)."""
        principal.require_admin()
        body = _object(body)
        row = await CustomField.get_or_none(id=field_id)
        if row is None:
            raise NotFound(f"There is no custom field {field_id}.")
        if set(body) - {"label", "choices"}:
            raise Invalid("Only label and choices of a custom field can change.")
        before = field_view(row)
        spec = checked_definition(row.name, body.get("label", row.label), row.kind,
                                  body.get("choices", row.choices if row.kind == "choice" else None))
        async with in_transaction():
            await CustomField.filter(id=field_id).update(label=spec.label, choices=list(spec.choices))
            row = await CustomField.get(id=field_id)
            await record(principal, "field.update", f"field {row.name}", before, field_view(row))
        return field_view(row)

    async def delete_field(self, principal: Principal, field_id: int) -> None:
        """The definition goes; values stay stored on the contacts but are no longer shown or searched."""
        principal.require_admin()
        row = await CustomField.get_or_none(id=field_id)
        if row is None:
            raise NotFound(f"There is no custom field {field_id}.")
        async with in_transaction():
            await row.delete()
            await record(principal, "field.delete", f"field {row.name}", field_view(row), None)

    # --- tags --------------------------------------------------------------------------------------

    async def tags(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        return [tag_view(t) for t in await Tag.all().order_by("name")]

    async def create_tag(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require_admin()
        body = _object(body)
        name = _text(body.get("name"), "name", 64)
        color = self._color(body.get("color", "#607d8b"))
        try:
            async with in_transaction():
                row = await Tag.create(name=name, color=color)
                await record(principal, "tag.create", f"tag {name}", None, tag_view(row))
        except IntegrityError:
            raise Conflict(f"There is a tag named {name!r} already.", code="exists") from None
        return tag_view(row)

    async def update_tag(self, principal: Principal, key: Any, body: Any) -> dict[str, Any]:
        principal.require_admin()
        body = _object(body)
        row = await named(Tag, key, "tag")
        before = tag_view(row)
        changes = {}
        if "name" in body:
            changes["name"] = _text(body["name"], "name", 64)
        if "color" in body:
            changes["color"] = self._color(body["color"])
        if not changes:
            raise Invalid("Send name and/or color.")
        try:
            async with in_transaction():
                await Tag.filter(id=row.id).update(**changes)
                row = await Tag.get(id=row.id)
                await record(principal, "tag.update", f"tag {row.name}", before, tag_view(row))
        except IntegrityError:
            raise Conflict(f"There is a tag named {changes.get('name')!r} already.", code="exists") from None
        return tag_view(row)

    async def delete_tag(self, principal: Principal, key: Any) -> None:
        """The tag leaves every contact and interaction that had it."""
        principal.require_admin()
        row = await named(Tag, key, "tag")
        async with in_transaction():
            await row.delete()
            await record(principal, "tag.delete", f"tag {row.name}", tag_view(row), None)

    @staticmethod
    def _color(value: Any) -> str:
        if not isinstance(value, str) or not COLOR.match(value):
            raise Invalid("color must be a hex color such as #1976d2.")
        return value.lower()

    # --- contact triggers --------------------------------------------------------------------------

    async def triggers(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        return [await _trigger_view(t) for t in await ContactTrigger.all().order_by("id")]

    async def create_trigger(self, principal: Principal, body: Any) -> dict[str, Any]:
        """SPEC C9: inbound from unknown numbers on this account (or queue) creates contacts in this list.
        One trigger per entry point: a second one for the same account or queue replaces its list."""
        principal.require_admin()
        body = _object(body)
        if ("account" in body) == ("queue" in body):
            raise Invalid("Give either account or queue as the trigger's entry point.")
        target = await named(ContactList, body.get("list"), "list")
        entry: dict[str, Any]
        if "account" in body:
            entry = {"account_id": (await named(Account, body["account"], "account", "key")).id, "queue_id": None}
        else:
            entry = {"queue_id": (await named(Queue, body["queue"], "queue")).id, "account_id": None}
        async with in_transaction():
            existing = await ContactTrigger.filter(**entry).first()
            before = await _trigger_view(existing) if existing else None
            await ContactTrigger.filter(**entry).delete()
            row = await ContactTrigger.create(list_id=target.id, **entry)
            after = await _trigger_view(row)
            await record(principal, "trigger.set", f"trigger {after['account'] or after['queue']}", before, after)
        return after

    async def delete_trigger(self, principal: Principal, trigger_id: int) -> None:
        principal.require_admin()
        row = await ContactTrigger.get_or_none(id=trigger_id)
        if row is None:
            raise NotFound(f"There is no trigger {trigger_id}.")
        before = await _trigger_view(row)
        async with in_transaction():
            await row.delete()
            await record(principal, "trigger.delete", f"trigger {before['account'] or before['queue']}", before, None)

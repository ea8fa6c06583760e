"""Who may view, add to and edit which contact list (SPEC C1): admins every list, everyone else the rights
an admin gave them per list. Every contact read or write asks here."""
from __future__ import annotations

from typing import Any, Literal

from server.persistence.models import ContactList, CustomField, ListPermission
from server.services.auth import Principal

Right = Literal["view", "add", "edit"]


async def list_ids(principal: Principal, right: Right) -> set[int] | None:
    """The ids of the lists `principal` has `right` on; None means every list (admins)."""
    if principal.role == "admin":
        return None
    rows = await ListPermission.filter(user_id=principal.id, **{f"can_{right}": True}).values_list("list_id",
                                                                                                    flat=True)
    return set(rows)


async def allowed(principal: Principal, list_id: int | None, right: Right) -> bool:
    """Adding to or editing a list needs viewing it too: a right without sight of the list grants nothing."""
    if principal.role == "admin":
        return list_id is None or await ContactList.filter(id=list_id).exists()
    if list_id is None:
        return False
    rights = {"can_view": True, f"can_{right}": True}
    return await ListPermission.filter(user_id=principal.id, list_id=list_id, **rights).exists()


async def list_names(principal: Principal, right: Right) -> list[str]:
    """The names of the lists `principal` may `right`, for pickers."""
    query = ContactList.all()
    if principal.role != "admin":
        rights = {"permissions__user_id": principal.id, "permissions__can_view": True,
                  f"permissions__can_{right}": True}
        query = ContactList.filter(**rights)
    return list(await query.order_by("name").values_list("name", flat=True))


async def my_lists(principal: Principal) -> list[dict[str, Any]]:
    """The lists `principal` may see, with their rights on each and the list's custom fields."""
    lists = await ContactList.all().order_by("name").values("id", "name")
    rights = {r["list_id"]: r for r in await ListPermission.filter(user_id=principal.id).values(
        "list_id", "can_view", "can_add", "can_edit")}
    fields: dict[int, list[dict[str, Any]]] = {}
    for f in await CustomField.all().order_by("id").values("list_id", "name", "label", "kind", "choices"):
        fields.setdefault(f["list_id"], []).append({"name": f["name"], "label": f["label"] or f["name"],
                                                    "kind": f["kind"], "choices": f["choices"] or []})
    found = []
    for row in lists:
        granted = rights.get(row["id"], {})
        admin = principal.role == "admin"
        if not (admin or granted.get("can_view")):
            continue
        found.append({"id": row["id"], "name": row["name"], "view": True,
                      "add": admin or bool(granted.get("can_add")), "edit": admin or bool(granted.get("can_edit")),
                      "custom_fields": fields.get(row["id"], [])})
    return found

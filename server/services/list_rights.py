"""Who may view, add to and edit which contact list (SPEC C1): admins every list, everyone else the rights
an admin gave them per list, where adding and editing need viewing too (a right without sight of the list
grants nothing). Every contact read or write asks here."""
from __future__ import annotations

from typing import Any, Literal, cast

from server.persistence.models import ContactList, CustomField, ListPermission
from server.services.auth import Principal

Right = Literal["view", "add", "edit"]
RIGHTS: tuple[Right, ...] = ("view", "add", "edit")


async def rights_by_list(principal: Principal) -> dict[int, set[Right]]:
    """The rights `principal` holds on each list they may see: the one place the rule is written."""
    lists = cast(list[int], await ContactList.all().values_list("id", flat=True))
    if principal.role == "admin":
        return {list_id: set(RIGHTS) for list_id in lists}
    granted: dict[int, set[Right]] = {}
    for row in await ListPermission.filter(user_id=principal.id, can_view=True).values(
            "list_id", "can_view", "can_add", "can_edit"):
        granted[row["list_id"]] = {right for right in RIGHTS if row[f"can_{right}"]}
    return granted


async def list_ids(principal: Principal, right: Right) -> set[int] | None:
    """The ids of the lists `principal` has `right` on; None means every list (admins)."""
    if principal.role == "admin":
        return None
    return {list_id for list_id, rights in (await rights_by_list(principal)).items() if right in rights}


async def allowed(principal: Principal, list_id: int | None, right: Right) -> bool:
    """Whether `principal` has `right` on the list (admins also on contacts left without a list)."""
    if list_id is None:
        return principal.role == "admin"
    return right in (await rights_by_list(principal)).get(list_id, set())


async def list_names(principal: Principal, right: Right) -> list[str]:
    """The names of the lists `principal` may `right`, for pickers."""
    return [row["name"] for row in await my_lists(principal) if row[right]]


async def my_lists(principal: Principal) -> list[dict[str, Any]]:
    """The lists `principal` may see, by name, with their rights on each and the list's custom fields."""
    rights = await rights_by_list(principal)
    fields: dict[int, list[dict[str, Any]]] = {}
    for f in await CustomField.filter(list_id__in=list(rights)).order_by("id").values(
            "list_id", "name", "label", "kind", "choices"):
        fields.setdefault(f["list_id"], []).append({"name": f["name"], "label": f["label"] or f["name"],
                                                    "kind": f["kind"], "choices": f["choices"] or []})
    return [{"id": row["id"], "name": row["name"], **{right: right in rights[row["id"]] for right in RIGHTS},
             "custom_fields": fields.get(row["id"], [])}
            for row in await ContactList.filter(id__in=list(rights)).order_by("name").values("id", "name")]

"""Who may view, add to and edit which contact list (SPEC C1): admins every list, everyone else the rights
an admin gave them per list. Every contact read or write asks here."""
from __future__ import annotations

from typing import Literal

from server.persistence.models import ContactList, ListPermission
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

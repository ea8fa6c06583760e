"""Contacts (SPEC C1-C8): find, read, create, edit, delete, merge, duplicate, journey; My Contacts; the lists
and tags a user may pick from."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Request, Response

from server.api.deps import CurrentUser, Services
from server.api.params import RowId
from server.services import contact_merge, list_rights

router = APIRouter(tags=["contacts"])
CUSTOM_PREFIX = "field."


def _custom(request: Request) -> dict[str, str]:
    """Custom field searches arrive as `field.<name>=text`."""
    return {k.removeprefix(CUSTOM_PREFIX): v for k, v in request.query_params.items() if k.startswith(CUSTOM_PREFIX)}


async def _find(request: Request, user: Any, services: Any, *, mine: bool, list_: str | None, tag: list[str],
                q: str | None, page: int, page_size: int, **advanced: str | None) -> dict[str, Any]:
    items, total = await services.contacts.find(user, list_name=list_, tags=tag, mine=mine, q=q,
                                                custom=_custom(request), page=page, page_size=page_size, **advanced)
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.get("/contacts")
async def list_contacts(
    request: Request, user: CurrentUser, services: Services, list_: str | None = Query(default=None, alias="list"),
    tag: list[str] = Query(default=[]), q: str | None = None, first_name: str | None = None,
    last_name: str | None = None, email: str | None = None, phone: str | None = None, company: str | None = None,
    notes: str | None = None, page: int = 1, page_size: int = 25,
) -> dict[str, Any]:
    """`q`: quick search (name, phone in any format, email); the named fields and `field.<name>`: advanced
    search, every one given must match; `list` and `tag` (repeatable, all must be on the contact) filter."""
    return await _find(request, user, services, mine=False, list_=list_, tag=tag, q=q, page=page,
                       page_size=page_size, first_name=first_name, last_name=last_name, email=email, phone=phone,
                       company=company, notes=notes)


@router.get("/my-contacts")
async def my_contacts(
    request: Request, user: CurrentUser, services: Services, list_: str | None = Query(default=None, alias="list"),
    tag: list[str] = Query(default=[]), q: str | None = None, first_name: str | None = None,
    last_name: str | None = None, email: str | None = None, phone: str | None = None, company: str | None = None,
    notes: str | None = None, page: int = 1, page_size: int = 25,
) -> dict[str, Any]:
    """The contacts the caller created or edited (SPEC C7), with the same filters as /contacts."""
    return await _find(request, user, services, mine=True, list_=list_, tag=tag, q=q, page=page,
                       page_size=page_size, first_name=first_name, last_name=last_name, email=email, phone=phone,
                       company=company, notes=notes)


@router.post("/contacts", status_code=201)
async def create_contact(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.contacts.create(user, body)


@router.get("/contacts/{contact_id}")
async def get_contact(contact_id: RowId, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.contacts.get(user, contact_id)


@router.patch("/contacts/{contact_id}")
async def update_contact(contact_id: RowId, user: CurrentUser, services: Services,
                         body: Any = Body(...)) -> dict[str, Any]:
    return await services.contacts.update(user, contact_id, body)


@router.delete("/contacts/{contact_id}", status_code=204)
async def delete_contact(contact_id: RowId, user: CurrentUser, services: Services) -> Response:
    await services.contacts.delete(user, contact_id)
    return Response(status_code=204)


@router.post("/contacts/{contact_id}/merge")
async def merge_contact(contact_id: RowId, user: CurrentUser, services: Services,
                        body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    return await contact_merge.merge(services.contacts, user, contact_id, body.get("other"))


@router.post("/contacts/{contact_id}/duplicate", status_code=201)
async def duplicate_contact(contact_id: RowId, user: CurrentUser, services: Services,
                            body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    return await contact_merge.duplicate(services.contacts, user, contact_id, body.get("list"))


@router.get("/contacts/{contact_id}/journey")
async def journey(contact_id: RowId, user: CurrentUser, services: Services) -> dict[str, Any]:
    items = await services.contacts.journey(user, contact_id)
    return {"items": items, "total": len(items)}


@router.get("/lists")
async def my_lists(user: CurrentUser, services: Services) -> dict[str, Any]:
    """The lists the caller may see, with their rights on each and each list's custom fields."""
    items = await list_rights.my_lists(user)
    return {"items": items, "total": len(items)}


@router.get("/tags")
async def tags(user: CurrentUser, services: Services) -> dict[str, Any]:
    items = await services.catalog.tags()
    return {"items": items, "total": len(items)}

"""Admin API (admins only; the check lives in the services): users, settings, and the contact manager's
lists, permissions, custom fields, tags and triggers. Rows are named by id or by their unique name."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Response

from server.api.deps import CurrentUser, Services
from server.api.params import RowId

router = APIRouter(prefix="/admin", tags=["admin"])


def _items(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "total": len(items)}


@router.post("/users", status_code=201)
async def create_user(user: CurrentUser, services: Services, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    return await services.admin.create_user(user, body)


@router.get("/users")
async def list_users(user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.admin.list_users(user))


@router.patch("/users/{key}")
async def update_user(key: str, user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.admin.update_user(user, key, body)


@router.get("/settings")
async def read_settings(user: CurrentUser, services: Services) -> dict[str, Any]:
    return services.admin.read_settings(user)


@router.put("/settings")
async def update_settings(user: CurrentUser, services: Services, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    return await services.admin.update_settings(user, body)


@router.get("/lists")
async def lists(user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.contact_admin.lists(user))


@router.post("/lists", status_code=201)
async def create_list(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.contact_admin.create_list(user, body)


@router.patch("/lists/{key}")
async def rename_list(key: str, user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.contact_admin.rename_list(user, key, body)


@router.delete("/lists/{key}", status_code=204)
async def delete_list(key: str, user: CurrentUser, services: Services) -> Response:
    await services.contact_admin.delete_list(user, key)
    return Response(status_code=204)


@router.get("/lists/{key}/permissions")
async def permissions(key: str, user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.contact_admin.permissions(user, key))


@router.put("/lists/{key}/permissions")
async def set_permission(key: str, user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.contact_admin.set_permission(user, key, body)


@router.get("/custom-fields")
async def custom_fields(user: CurrentUser, services: Services,
                        list_: str | None = Query(default=None, alias="list")) -> dict[str, Any]:
    return _items(await services.contact_admin.fields(user, list_))


@router.post("/custom-fields", status_code=201)
async def create_custom_field(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.contact_admin.create_field(user, body)


@router.patch("/custom-fields/{field_id}")
async def update_custom_field(field_id: RowId, user: CurrentUser, services: Services,
                              body: Any = Body(...)) -> dict[str, Any]:
    return await services.contact_admin.update_field(user, field_id, body)


@router.delete("/custom-fields/{field_id}", status_code=204)
async def delete_custom_field(field_id: RowId, user: CurrentUser, services: Services) -> Response:
    await services.contact_admin.delete_field(user, field_id)
    return Response(status_code=204)


@router.get("/tags")
async def tags(user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.contact_admin.tags(user))


@router.post("/tags", status_code=201)
async def create_tag(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.contact_admin.create_tag(user, body)


@router.patch("/tags/{key}")
async def update_tag(key: str, user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.contact_admin.update_tag(user, key, body)


@router.delete("/tags/{key}", status_code=204)
async def delete_tag(key: str, user: CurrentUser, services: Services) -> Response:
    await services.contact_admin.delete_tag(user, key)
    return Response(status_code=204)


@router.get("/triggers")
async def triggers(user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.contact_admin.triggers(user))


@router.post("/triggers", status_code=201)
async def create_trigger(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.contact_admin.create_trigger(user, body)


@router.delete("/triggers/{trigger_id}", status_code=204)
async def delete_trigger(trigger_id: RowId, user: CurrentUser, services: Services) -> Response:
    await services.contact_admin.delete_trigger(user, trigger_id)
    return Response(status_code=204)

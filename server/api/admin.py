"""Admin API (admins only; the check lives in the service)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from server.api.deps import CurrentUser, Services

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/users", status_code=201)
async def create_user(user: CurrentUser, services: Services, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    return await services.admin.create_user(user, body)


@router.get("/users")
async def list_users(user: CurrentUser, services: Services) -> dict[str, Any]:
    items = await services.admin.list_users(user)
    return {"items": items, "total": len(items)}


@router.get("/settings")
async def read_settings(user: CurrentUser, services: Services) -> dict[str, Any]:
    return services.admin.read_settings(user)


@router.put("/settings")
async def update_settings(user: CurrentUser, services: Services, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    return await services.admin.update_settings(user, body)

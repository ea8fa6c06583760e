"""Outbound campaigns (SPEC T5), admins only (the check lives in the service)."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Query

from server.api.deps import CurrentUser, Services
from server.api.params import RowId

router = APIRouter(prefix="/admin/campaigns", tags=["campaigns"])


@router.get("")
async def campaigns(user: CurrentUser, services: Services) -> dict[str, Any]:
    items = await services.campaigns.list(user)
    return {"items": items, "total": len(items)}


@router.post("", status_code=201)
async def create_campaign(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.campaigns.create(user, body)


@router.get("/{campaign_id}")
async def campaign(campaign_id: RowId, user: CurrentUser, services: Services, page: int = 1, page_size: int = 50,
                   state: str | None = Query(default=None)) -> dict[str, Any]:
    """The campaign with its totals and a page of its recipients (`state`: only those)."""
    return await services.campaigns.get(user, campaign_id, page=page, page_size=page_size, state=state)


@router.post("/{campaign_id}/{action}")
async def act(campaign_id: RowId, action: Literal["start", "pause", "resume", "cancel"], user: CurrentUser,
              services: Services) -> dict[str, Any]:
    return await services.campaigns.act(user, campaign_id, action)

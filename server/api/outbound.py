"""New conversations an agent starts (SPEC T4), and the recontact template (T2)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from server.api.deps import CurrentUser, Services
from server.api.params import RowId

router = APIRouter(tags=["outbound"])


@router.get("/outbound/check")
async def check(user: CurrentUser, services: Services, account: str = "", phone: str = "") -> dict[str, Any]:
    """Which case applies before writing: `case` is "template" or "free_text", with the reason."""
    return await services.outbound.check(user, account, phone)


@router.post("/outbound", status_code=201)
async def start(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    """`{"account", "phone", "text"}` or `{"account", "phone", "template", "variables"}`."""
    return await services.outbound.start(user, body)


@router.post("/interactions/{interaction_id}/recontact", status_code=201)
async def recontact(interaction_id: RowId, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.interactions.recontact(user, interaction_id)

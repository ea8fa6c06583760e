"""The signed-in agent's own desk: who am I, my state, my queues, my offers, accept and reject, and the
conversations waiting in my queues, which I may take."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from server.api.deps import CurrentUser, Services
from server.api.params import RowId

router = APIRouter(tags=["agent"])


class StateChange(BaseModel):
    state: str
    reason: str | None = None


@router.get("/me")
async def me(user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.agents.me(user)


@router.put("/me/state")
async def set_state(body: StateChange, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.agents.set_state(user, body.state, body.reason)


@router.get("/queues")
async def queues(user: CurrentUser, services: Services) -> dict[str, Any]:
    items = await services.agents.queues(user)
    return {"items": items, "total": len(items)}


@router.get("/offers")
async def offers(user: CurrentUser, services: Services) -> dict[str, Any]:
    items = await services.agents.offers(user)
    return {"items": items, "total": len(items)}


@router.post("/interactions/{interaction_id}/accept")
async def accept(interaction_id: RowId, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.agents.accept(user, interaction_id)


@router.post("/interactions/{interaction_id}/reject")
async def reject(interaction_id: RowId, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.agents.reject(user, interaction_id)


@router.get("/waiting")
async def waiting(user: CurrentUser, services: Services) -> dict[str, Any]:
    """Conversations waiting in my queues, longest waiting first (the first 50; `total` counts all); any of them
    may be taken."""
    items, total = await services.agents.waiting(user)
    return {"items": items, "total": total}


@router.post("/interactions/{interaction_id}/take")
async def take(interaction_id: RowId, user: CurrentUser, services: Services) -> dict[str, Any]:
    """Take a waiting conversation of my queues (409 `taken` when someone was first)."""
    return await services.agents.take(user, interaction_id)

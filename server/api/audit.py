"""The audit trail (SPEC A3), read-only and for administrators: there is no route to change or delete it."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from server.api.deps import CurrentUser, Services

router = APIRouter(prefix="/admin/audit", tags=["audit"])


@router.get("")
async def audit_trail(user: CurrentUser, services: Services, actor: str | None = None, action: str | None = None,
                      target: str | None = None, from_: str | None = Query(default=None, alias="from"),
                      to: str | None = None, page: int = 1, page_size: int = 50) -> dict[str, Any]:
    """`actor`: username; `action`: exact, or a prefix ending in "." or "*"; `target`: any part of it;
    `from`/`to`: ISO dates or date-times. Newest first."""
    return await services.audit_trail.search(user, actor=actor, action=action, target=target, since=from_, until=to,
                                             page=page, page_size=page_size)


@router.get("/actions")
async def audit_actions(user: CurrentUser, services: Services) -> dict[str, Any]:
    items = await services.audit_trail.actions(user)
    return {"items": items, "total": len(items)}

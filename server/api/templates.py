"""Message templates (SPEC T3): the list agents pick from, and their administration under /admin (admins
only; the check lives in the service): edit, submit to Meta, sync Meta's review statuses, Twilio Content
SIDs. Templates are named by id or name, accounts by id or key."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response

from server.api.deps import CurrentUser, Services

router = APIRouter(tags=["templates"])
PROVIDER_ERROR = {"description": "Meta refused or failed the request"}  # in the error shape (server/api/openapi.py)


def _items(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "total": len(items)}


def _field(body: Any, name: str) -> Any:
    """A field of an object body; None for anything else (the service names what is missing)."""
    return body.get(name) if isinstance(body, dict) else None


@router.get("/templates")
async def agent_templates(user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.templates.for_agents(user))


@router.get("/admin/templates")
async def templates(user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.templates.templates(user))


@router.post("/admin/templates", status_code=201)
async def create_template(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.templates.create(user, body)


@router.get("/admin/templates/{key}")
async def template(key: str, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.templates.template(user, key)


@router.patch("/admin/templates/{key}")
async def update_template(key: str, user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.templates.update(user, key, body)


@router.delete("/admin/templates/{key}", status_code=204)
async def delete_template(key: str, user: CurrentUser, services: Services) -> Response:
    await services.templates.delete(user, key)
    return Response(status_code=204)


@router.post("/admin/templates/{key}/submit", responses={502: PROVIDER_ERROR})
async def submit_template(key: str, user: CurrentUser, services: Services,
                          body: Any = Body(...)) -> dict[str, Any]:
    """`{"account", "examples"?}`: to the Meta account's review; one example value per body variable."""
    return await services.templates.submit_meta(user, key, _field(body, "account"), _field(body, "examples"))


@router.put("/admin/templates/{key}/content-sid")
async def set_content_sid(key: str, user: CurrentUser, services: Services,
                          body: Any = Body(...)) -> dict[str, Any]:
    """`{"account", "sid"}`: the Twilio Content SID this template is sent by on that account (null removes it)."""
    return await services.templates.set_content_sid(user, key, _field(body, "account"), _field(body, "sid"))


@router.post("/admin/accounts/{account}/templates/sync", responses={502: PROVIDER_ERROR})
async def sync_templates(account: str, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.templates.sync_meta(user, account)

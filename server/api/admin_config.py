"""Admin API for the routing configuration (SPEC A1, A2): queues and their members, provider accounts,
dispositions and canned answers. Admins only (the check lives in the services); changes apply to the
running server at once, without a restart.

- Queues, by id or name: `GET|POST /admin/queues`, `GET|PATCH|DELETE /admin/queues/{queue}`. Fields: name
  (fixed once created), strategy (ring_all | round_robin | least_recent | least_busy), weight,
  offer_timeout, reoffer_delay, capacity, target_seconds; answers also list `members` and `accounts`.
  Membership has one door: `PUT /admin/queues/{queue}/members {"members": [usernames]}` replaces the whole
  list (POST may give the first `members`; PATCH refuses them); `PUT /admin/queues/{queue}/supervisors
  {"supervisors": [usernames]}` sets who watches it on the supervisor board. DELETE answers 409 while accounts route
  to the queue or interactions were routed through it.
- Accounts, by id or key: `GET|POST /admin/accounts`, `GET|PATCH|DELETE /admin/accounts/{account}`. Fields:
  key and provider (fixed once created), name, phone_number, queue, api_base_url, window_hours,
  recontact_template, credentials. Credentials answer only `{"set", "hint", "required"}` per key; a PATCH
  replaces the credentials it names (null removes an optional one) and keeps the others.
- `GET /admin/unrouted?account=&page=&page_size=`: what providers delivered that no conversation took, and why.
- `GET|POST /admin/dispositions`, `PATCH|DELETE /admin/dispositions/{disposition}` (`{"name"}`).
- `GET|POST /admin/canned-answers`, `PATCH|DELETE /admin/canned-answers/{canned}` (`{"name", "body"}`).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response

from server.api.deps import CurrentUser, Services

router = APIRouter(prefix="/admin", tags=["admin"])


def _items(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "total": len(items)}


# --- queues ------------------------------------------------------------------------------------------
@router.get("/queues")
async def queues(user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.queue_admin.list(user))


@router.post("/queues", status_code=201)
async def create_queue(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.queue_admin.create(user, body)


@router.get("/queues/{key}")
async def queue(key: str, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.queue_admin.get(user, key)


@router.patch("/queues/{key}")
async def update_queue(key: str, user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.queue_admin.update(user, key, body)


@router.put("/queues/{key}/members")
async def set_queue_members(key: str, user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    members = body.get("members") if isinstance(body, dict) else None
    return await services.queue_admin.set_members(user, key, members)


@router.put("/queues/{key}/supervisors")
async def set_queue_supervisors(key: str, user: CurrentUser, services: Services,
                                body: Any = Body(...)) -> dict[str, Any]:
    supervisors = body.get("supervisors") if isinstance(body, dict) else None
    return await services.queue_admin.set_supervisors(user, key, supervisors)


@router.delete("/queues/{key}", status_code=204)
async def delete_queue(key: str, user: CurrentUser, services: Services) -> Response:
    await services.queue_admin.delete(user, key)
    return Response(status_code=204)


# --- accounts ----------------------------------------------------------------------------------------
@router.get("/unrouted")
async def unrouted(user: CurrentUser, services: Services, account: str | None = None, page: int = 1,
                   page_size: int = 50) -> dict[str, Any]:
    """Items of providers' deliveries that no conversation took (no sender, or a number no account has),
    newest first, each with its reason and the item as delivered; `account`: those that came to its URL."""
    return await services.account_admin.unrouted(user, account, page, page_size)


@router.get("/accounts")
async def accounts(user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.account_admin.list(user))


@router.post("/accounts", status_code=201)
async def create_account(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.account_admin.create(user, body)


@router.get("/accounts/{key}")
async def account(key: str, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.account_admin.get(user, key)


@router.patch("/accounts/{key}")
async def update_account(key: str, user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.account_admin.update(user, key, body)


@router.delete("/accounts/{key}", status_code=204)
async def delete_account(key: str, user: CurrentUser, services: Services) -> Response:
    await services.account_admin.delete(user, key)
    return Response(status_code=204)


# --- dispositions ------------------------------------------------------------------------------------
@router.get("/dispositions")
async def dispositions(user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.catalog_admin.list_dispositions(user))


@router.post("/dispositions", status_code=201)
async def create_disposition(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.catalog_admin.create_disposition(user, body)


@router.patch("/dispositions/{key}")
async def update_disposition(key: str, user: CurrentUser, services: Services,
                             body: Any = Body(...)) -> dict[str, Any]:
    return await services.catalog_admin.update_disposition(user, key, body)


@router.delete("/dispositions/{key}", status_code=204)
async def delete_disposition(key: str, user: CurrentUser, services: Services) -> Response:
    await services.catalog_admin.delete_disposition(user, key)
    return Response(status_code=204)


# --- canned answers ----------------------------------------------------------------------------------
@router.get("/canned-answers")
async def canned_answers(user: CurrentUser, services: Services) -> dict[str, Any]:
    return _items(await services.catalog_admin.list_canned(user))


@router.post("/canned-answers", status_code=201)
async def create_canned(user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.catalog_admin.create_canned(user, body)


@router.patch("/canned-answers/{key}")
async def update_canned(key: str, user: CurrentUser, services: Services, body: Any = Body(...)) -> dict[str, Any]:
    return await services.catalog_admin.update_canned(user, key, body)


@router.delete("/canned-answers/{key}", status_code=204)
async def delete_canned(key: str, user: CurrentUser, services: Services) -> Response:
    await services.catalog_admin.delete_canned(user, key)
    return Response(status_code=204)

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from server.api.deps import CurrentUser, Services, bearer_token

router = APIRouter(tags=["auth"])


class Login(BaseModel):
    username: str
    password: str


@router.post("/auth/login", responses={429: {"description": "Too many failed attempts: wait as Retry-After says"}})
async def login(body: Login, request: Request, services: Services) -> dict[str, Any]:
    """429 `too_many_attempts` with Retry-After after too many failed attempts for the user or the address."""
    address = request.client.host if request.client else None
    token, principal = await services.auth.login(body.username, body.password, address)
    return {"token": token, "username": principal.username, "role": principal.role}


@router.post("/auth/logout")
async def logout(request: Request, _: CurrentUser, services: Services) -> dict[str, Any]:
    """Ends this session; an agent goes offline at once (their offers go to others)."""
    await services.presence.sign_out(bearer_token(request) or "")
    return {"status": "signed_out"}

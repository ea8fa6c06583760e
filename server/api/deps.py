"""Shared request plumbing: the services container and the signed-in principal."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from server.services.auth import Principal


async def services(request: Request) -> Any:
    """Async on purpose: FastAPI runs a plain `def` dependency on a worker thread, for every request."""
    return request.app.state.services


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def principal(request: Request) -> Principal:
    return await request.app.state.services.auth.authenticate(bearer_token(request))


CurrentUser = Annotated[Principal, Depends(principal)]
Services = Annotated[Any, Depends(services)]

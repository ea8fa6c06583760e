"""Interactions: list, details, messages, send, notes, read, close, transfer."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from server.api.deps import CurrentUser, Services
from server.api.params import RowId, RowIdQuery
from server.api.downloads import file_response, transcript_response
from server.api.uploads import Upload
from server.errors import Invalid
from server.services.interaction_filters import build_filter

router = APIRouter(tags=["interactions"])
BINARY = {"type": "string", "format": "binary"}


class Text(BaseModel):
    text: Any = None


class CloseRequest(BaseModel):
    disposition: Any = None


class TransferRequest(BaseModel):
    """To exactly one of `agent` or `queue`; `note`: the sender's reason (optional, at most 200 characters)."""

    agent: Any = None
    queue: Any = None
    note: Any = None


@router.get("/interactions")
async def list_interactions(
    user: CurrentUser, services: Services,
    status: str | None = None, unread: bool | None = None, account: str | None = None, agent: str | None = None,
    tag: list[str] = Query(default=[]), from_: str | None = Query(default=None, alias="from"),
    to: str | None = None, q: str | None = None, name: str | None = None, phone: str | None = None,
    message: str | None = None, page: int = 1, page_size: int = 25,
) -> dict[str, Any]:
    """`q`: quick search (contact name, phone in any format, message text); `name`, `phone`, `message`:
    advanced search, every one given must match."""
    f = build_filter(status=status, unread=unread, account=account, agent=agent, tags=tag, created_from=from_,
                     created_to=to, q=q, name=name, phone=phone, message=message, page=page, page_size=page_size)
    items, total = await services.interactions.list(user, f)
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.get("/interactions/{interaction_id}")
async def get_interaction(interaction_id: RowId, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.interactions.get(user, interaction_id)


@router.patch("/interactions/{interaction_id}")
async def edit_interaction(interaction_id: RowId, user: CurrentUser, services: Services,
                           body: Any = Body(...)) -> dict[str, Any]:
    """`{"tags": [...], "disposition": ...}`: by its owner, supervisors and admins."""
    return await services.interactions.edit(user, interaction_id, body)


@router.get("/interactions/{interaction_id}/messages")
async def messages(interaction_id: RowId, user: CurrentUser, services: Services, before: RowIdQuery = None,
                   limit: int = 100) -> dict[str, Any]:
    items = await services.interactions.messages(user, interaction_id, before=before, limit=limit)
    return {"items": items, "total": len(items)}


@router.post("/interactions/{interaction_id}/messages", status_code=201)
async def send(interaction_id: RowId, request: Request, user: CurrentUser, services: Services) -> dict[str, Any]:
    """`{"text"}`, `{"template", "variables"}`, or multipart/form-data with one file (and a `text` caption)."""
    if request.headers.get("content-type", "").startswith("multipart/"):
        upload = await Upload(request).open()
        return await services.interactions.send_file(user, interaction_id, upload)
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise Invalid("The body must be JSON, or a multipart form with a file.") from None
    if not isinstance(body, dict):
        raise Invalid("The body must be a JSON object.")
    if "template" in body:
        return await services.interactions.send_template(user, interaction_id, body["template"],
                                                         body.get("variables"))
    return await services.interactions.send_text(user, interaction_id, body.get("text"))


@router.get("/interactions/{interaction_id}/messages/{message_id}/file", response_class=FileResponse,
            responses={200: {"description": "The file", "content": {"*/*": {"schema": BINARY}}}})
async def message_file(interaction_id: RowId, message_id: RowId, user: CurrentUser, services: Services) -> FileResponse:
    path, content_type, filename = await services.interactions.file_of(user, interaction_id, message_id)
    return file_response(path, content_type, filename)


@router.post("/interactions/{interaction_id}/notes", status_code=201)
async def note(interaction_id: RowId, body: Text, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.interactions.add_note(user, interaction_id, body.text)


@router.post("/interactions/{interaction_id}/read")
async def read(interaction_id: RowId, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.interactions.mark_read(user, interaction_id)


@router.post("/interactions/{interaction_id}/close")
async def close(interaction_id: RowId, user: CurrentUser, services: Services,
                body: CloseRequest | None = None) -> dict[str, Any]:
    return await services.interactions.close(user, interaction_id, body.disposition if body else None)


@router.post("/interactions/{interaction_id}/transfer")
async def transfer(interaction_id: RowId, body: TransferRequest, user: CurrentUser,
                   services: Services) -> dict[str, Any]:
    return await services.interactions.transfer(user, interaction_id, agent=body.agent, queue=body.queue,
                                                note=body.note)


@router.get("/interactions/{interaction_id}/transcript.pdf", response_class=Response,
            responses={200: {"description": "The transcript", "content": {"application/pdf": {"schema": BINARY}}}})
async def transcript(interaction_id: RowId, user: CurrentUser, services: Services) -> Response:
    """The PDF transcript, as this user may see it (SPEC L4); every download is recorded."""
    return transcript_response(interaction_id, await services.transcripts.pdf(user, interaction_id))

"""The supervisor's view (SPEC S1, S2): the live queue board, notes to the agent of a watched interaction, and
taking a conversation back from its agent into its queue.

Watching itself needs nothing new: GET /interactions/{id} and /interactions/{id}/messages read an
interaction without touching its read state; only its owner's POST /interactions/{id}/read does."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from server.api.deps import CurrentUser, Services
from server.api.params import RowId

router = APIRouter(prefix="/supervisor", tags=["supervisor"])


class NoteBody(BaseModel):
    text: Any = None


@router.get("/board")
async def board(user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.board.snapshot(user)


@router.post("/interactions/{interaction_id}/notes", status_code=201)
async def note_to_owner(interaction_id: RowId, body: NoteBody, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.interactions.add_supervisor_note(user, interaction_id, body.text)


@router.post("/interactions/{interaction_id}/return")
async def return_to_queue(interaction_id: RowId, user: CurrentUser, services: Services) -> dict[str, Any]:
    return await services.interactions.return_to_queue(user, interaction_id)

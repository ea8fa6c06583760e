"""PDF transcripts of interactions (SPEC L3/L4, A3): gathered through the interaction service's views, so
the viewer's visibility and masking are exactly the API's, drawn by transcript_pdf, and every download
recorded (TranscriptDownload)."""
from __future__ import annotations

import asyncio
from typing import Any

from tortoise.transactions import in_transaction

from server.persistence.models import Tag, TranscriptDownload
from server.services.audit import record
from server.services.auth import Principal
from server.services.interactions import InteractionService
from server.services.transcript_pdf import render_transcript

PAGE = 500  # the messages API's largest page


def notes_visible(principal: Principal, interaction: dict[str, Any]) -> bool:
    """Who may see an interaction's internal notes in its transcript: the one rule.

    Notes are internal to the team, not to one agent: everyone who may read the interaction (supervisors,
    admins, and the agent who owns it) sees them on screen, so the transcript includes them for the same
    readers. Kept as a function so that a stricter rule changes in this one place."""
    return principal.sees_everything or interaction.get("owner") == principal.username


class TranscriptService:
    def __init__(self, interactions: InteractionService) -> None:
        self.interactions = interactions

    async def pdf(self, principal: Principal, interaction_id: int) -> bytes:
        """The transcript as the principal may see it (404 unknown, 403 another agent's); the download is
        recorded once the PDF is made, in the audit trail too (one entry per PDF served: a second download,
        even a double click's, hands the transcript out again)."""
        view = await self.interactions.get(principal, interaction_id)  # visibility, masking, routing history
        view["tags"] = sorted(await Tag.filter(interactions__id=interaction_id).values_list("name", flat=True))
        messages = await self._all_messages(principal, interaction_id)
        include_notes = notes_visible(principal, view)
        if not include_notes:
            messages = [m for m in messages if m["direction"] != "note"]
        pdf = await asyncio.to_thread(render_transcript, view, messages,
                                      viewer=principal.full_name or principal.username, notes_included=include_notes)
        async with in_transaction():  # the download and its audit entry: both or neither
            await TranscriptDownload.create(interaction_id=interaction_id, user_id=principal.id)
            await record(principal, "transcript.download", f"interaction {interaction_id}", None, {"format": "pdf"})
        return pdf

    async def _all_messages(self, principal: Principal, interaction_id: int) -> list[dict[str, Any]]:
        """Every message, oldest first, each in the messages API's (masked) view."""
        pages: list[list[dict[str, Any]]] = []
        before = None
        while True:
            page = await self.interactions.messages(principal, interaction_id, before=before, limit=PAGE)
            pages.append(page)
            if len(page) < PAGE:
                break
            before = page[0]["id"]
        return [m for page in reversed(pages) for m in page]

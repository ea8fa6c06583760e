"""PDF transcripts of interactions (SPEC L3/L4, A3): gathered through the interaction service's views, so
the viewer's visibility and masking are exactly the API's, drawn by transcript_pdf, and every download
recorded (TranscriptDownload)."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from tortoise.transactions import in_transaction

from server.errors import Busy
from server.persistence.models import Tag, TranscriptDownload
from server.services.audit import record
from server.services.auth import Principal
from server.services.interactions import InteractionService
from server.services.transcript_pdf import render_transcript

PAGE = 500  # the messages API's largest page
# A huge conversation is cut to its latest messages, so that no transcript takes minutes to draw: about 3 s
# for 2,000 ordinary messages on our 2-core machines; the text budget bounds long messages the same way.
MAX_MESSAGES = 2_000
MAX_TEXT = 600_000  # characters of message text
RENDERERS = 3  # transcripts drawn at once, on threads of their own: a long one holds none of the others
WAITING = 6  # more may wait for a renderer (each holds its messages meanwhile); past that, Busy


def notes_visible(principal: Principal, interaction: dict[str, Any]) -> bool:
    """Who may see an interaction's internal notes in its transcript: the one rule.

    Notes are internal to the team, not to one agent: everyone who may read the interaction (supervisors,
    admins, the agent who owns it, and an agent who took part in it, up to when they left) sees them on
    screen, so the transcript includes them for the same readers. Kept as a function so that a stricter rule
    changes in this one place."""
    return principal.sees_everything or interaction.get("owner") == principal.username \
        or interaction.get("my_part") is not None


class TranscriptService:
    def __init__(self, interactions: InteractionService) -> None:
        self.interactions = interactions
        self._renderers = ThreadPoolExecutor(max_workers=RENDERERS, thread_name_prefix="transcript")
        self._in_hand = 0  # transcripts being gathered, waiting or drawn; only touched on the event loop

    async def pdf(self, principal: Principal, interaction_id: int) -> bytes:
        """The transcript as the principal may see it (404 unknown, 403 another agent's); the download is
        recorded once the PDF is made, in the audit trail too (one entry per PDF served: a second download,
        even a double click's, hands the transcript out again). Busy (503) while too many are in hand."""
        if self._in_hand >= RENDERERS + WAITING:
            raise Busy("Many transcripts are being made right now; try again in a moment.", retry_after=5)
        self._in_hand += 1
        try:
            return await self._pdf(principal, interaction_id)
        finally:
            self._in_hand -= 1

    async def _pdf(self, principal: Principal, interaction_id: int) -> bytes:
        view = await self.interactions.get(principal, interaction_id)  # visibility, masking, routing history
        view["tags"] = sorted(await Tag.filter(interactions__id=interaction_id).values_list("name", flat=True))
        include_notes = notes_visible(principal, view)
        messages, left_out = await self._latest_messages(principal, interaction_id, include_notes)
        pdf = await asyncio.get_running_loop().run_in_executor(self._renderers, partial(
            render_transcript, view, messages, viewer=principal.full_name or principal.username,
            notes_included=include_notes, left_out=left_out))
        async with in_transaction():  # the download and its audit entry: both or neither
            await TranscriptDownload.create(interaction_id=interaction_id, user_id=principal.id)
            await record(principal, "transcript.download", f"interaction {interaction_id}", None, {"format": "pdf"})
        return pdf

    async def _latest_messages(self, principal: Principal, interaction_id: int,
                               include_notes: bool) -> tuple[list[dict[str, Any]], bool]:
        """The latest messages within MAX_MESSAGES and MAX_TEXT, oldest first, each in the messages API's
        (masked) view; and whether older ones were left out."""
        kept: list[dict[str, Any]] = []
        text = 0
        before = None
        while True:
            page = await self.interactions.messages(principal, interaction_id, before=before, limit=PAGE)
            for message in reversed(page):
                if message["direction"] == "note" and not include_notes:
                    continue
                text += len(message["text"] or "")
                if len(kept) == MAX_MESSAGES or (kept and text > MAX_TEXT):
                    return kept[::-1], True
                kept.append(message)
            if len(page) < PAGE:
                return kept[::-1], False
            before = page[0]["id"]
